// softmax and the losses; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// x is (B, C), y is (B, C); y := softmax of each row (row max subtracted first); y may alias x
template <typename T>
void softmax(std::int64_t B, std::int64_t C, const T* x, T* y);

// logits is (B, C), target is (B, C) (one-hot, a distribution, or any row of weights), probs is
// (B, C) or null, grad is (B, C) or null; returns mean over rows of -sum(target * log
// softmax(logits)); probs := softmax(logits); grad := (softmax(logits) * S - target) / B with S the
// row's target sum (torch's gradient; (softmax - target) / B for a row that sums to 1)
template <typename T>
double softmax_cross_entropy(std::int64_t B, std::int64_t C, const T* logits, const T* target,
                             T* probs, T* grad);

// logits is (B, C), target is (B) class indices in [0, C) (checked by the caller), probs and grad
// as above; same value as the dense form on the one-hot target
template <typename T>
double softmax_cross_entropy_index(std::int64_t B, std::int64_t C, const T* logits,
                                   const std::int32_t* target, T* probs, T* grad);

// q is (B, C) probabilities, p is (B, C); mean over rows of -sum(p * log q), q clamped below at
// epsilon when stable; terms with p == 0 count 0 (0 log 0 = 0), as in the categorical form
template <typename T>
double ce_loss(std::int64_t B, std::int64_t C, const T* q, const T* p, bool stable, double epsilon);

// q is (B, C) probabilities, target is (B) class indices in [0, C) (checked by the caller);
// equals ce_loss on the one-hot form
template <typename T>
double categorical_ce_loss(std::int64_t B, std::int64_t C, const T* q, const std::int32_t* target,
                           bool stable, double epsilon);

// pred, target, grad are (n); returns sum (or mean) of (pred - target)^2;
// grad := 2 (pred - target) (divided by n for mean) when grad is not null
template <typename T>
double mse_loss(std::int64_t n, const T* pred, const T* target, bool mean, T* grad);

}  // namespace ffnn
