// inverted dropout: masks drawn from a generator's state (xoshiro128**, the four words of
// src/random.ts's Rng.state, advanced in place), the same bits as Rng.uniform() there. no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// x, mask, y are (n); state is 4 words. element by element in order, one uniform u of 53 bits from
// two draws: mask := u < p ? 0 : 1 / (1 - p) (0 for every element when p is 1), y := x * mask.
// sequential (the generator is one stream), so a seed gives the same masks at every thread count.
// y may alias x
template <typename T>
void dropout_forward(std::int64_t n, const T* x, double p, std::uint32_t* state, T* mask, T* y);

// the mask alone, as dropout_forward draws it (the fused step draws every dropout's mask first, one
// generator per task, then applies each with dropout_backward's product)
template <typename T>
void dropout_mask(std::int64_t n, double p, std::uint32_t* state, T* mask);

// g, mask, gi are (n): gi := g * mask; gi may alias g
template <typename T>
void dropout_backward(std::int64_t n, const T* g, const T* mask, T* gi);

}  // namespace ffnn
