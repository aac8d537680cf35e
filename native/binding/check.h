// argument checks for the wrappers: each throws Napi::TypeError (wrong type) or Napi::RangeError
// (wrong value or length) naming the function, the argument, what was expected and what came
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ffnn::binding {

enum class DType { None, F32, F64 };

// how a value reads in a message: "undefined", "3.5", "a Float32Array of length 5", ...
std::string describe(const Napi::Value& v);

// one call's checks; remembers the element type of the first float array so the rest must match
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  Napi::Env env() const { return info_.Env(); }
  Napi::Value at(std::size_t i) const { return info_[i]; }
  DType dtype() const { return dtype_; }

  // (the messages are built only here: a call whose arguments pass allocates no string)
  [[noreturn]] void type_error(std::string_view name, std::string_view expected,
                               const Napi::Value& got) const;
  [[noreturn]] void range_error(std::string_view name, std::string_view expected,
                                std::string_view got) const;

  // an integer in [0, 2^31 - 1]
  std::int64_t dim(const Napi::Value& v, std::string_view name) const;
  // an integer in [lo, hi]
  std::int64_t integer(const Napi::Value& v, std::string_view name, std::int64_t lo,
                       std::int64_t hi) const;
  // any number (NaN and Inf pass: they only make the result non-finite)
  double number(const Napi::Value& v, std::string_view name) const;
  // a finite number
  double finite(const Napi::Value& v, std::string_view name) const;
  bool boolean(const Napi::Value& v, std::string_view name) const;
  // a Float32Array or Float64Array of the call's element type with at least `need` elements;
  // null is accepted (returns nullptr) when nullable. returns the data pointer at its byteOffset
  void* floats(const Napi::Value& v, std::string_view name, std::int64_t need,
               bool nullable = false);
  // the first n elements at p and the first m at q (the call's element type) share no byte;
  // otherwise a RangeError naming `name` (the array v) and the other array. null pointers pass
  void disjoint(const Napi::Value& v, std::string_view name, const void* p, std::int64_t n,
                std::string_view other, const void* q, std::int64_t m) const;
  // an Int32Array of at least `need` elements
  std::int32_t* int32s(const Napi::Value& v, std::string_view name, std::int64_t need) const;
  // a Uint32Array of at least `need` elements (a generator's state words)
  std::uint32_t* uint32s(const Napi::Value& v, std::string_view name, std::int64_t need) const;
  // each of the n class indices is in [0, C)
  void class_indices(const std::int32_t* t, std::int64_t n, std::int64_t C,
                     std::string_view name) const;
  // a plain object (the optimizer options)
  Napi::Object object(const Napi::Value& v, std::string_view name) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* fn_;
  DType dtype_ = DType::None;
  std::string dtype_arg_;
};

// the optimizers' rules (HYPER_RULES of src/optim/rules.ts), refused at the door as in TypeScript;
// test/optim/rules.test.ts walks every rule through the table and the binding together
struct Rule {
  double min;
  bool min_open;
  double max;  // inf: none
  bool max_open;
  const char* expected;
};
constexpr Rule kAtLeast0{0, false, __builtin_inf(), true, "a number >= 0"};
constexpr Rule kAbove0{0, true, __builtin_inf(), true, "a number > 0"};
constexpr Rule kBeta{0, false, 1, true, "a number in [0, 1)"};

// v as a finite number within r, else a RangeError naming it
double rule(const Args& a, const Napi::Value& v, const char* name, const Rule& r);
// x (read from a state array) within r, else a RangeError naming it
void rule_value(const Args& a, double x, std::string_view name, const Rule& r);

}  // namespace ffnn::binding
