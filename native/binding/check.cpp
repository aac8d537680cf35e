#include "check.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace ffnn::binding {

namespace {

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

const char* dtype_name(DType d) { return d == DType::F32 ? "Float32Array" : "Float64Array"; }

std::string format_number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  // shortest form that reads back exactly, as JavaScript prints it
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

struct TypedArrayInfo {
  napi_typedarray_type type;
  std::size_t length;
  void* data;  // already advanced by the byteOffset (napi_get_typedarray_info does this)
};

TypedArrayInfo typed_array_info(const Napi::Value& v) {
  TypedArrayInfo t{};
  napi_value buffer;
  std::size_t offset;
  const napi_status s =
      napi_get_typedarray_info(v.Env(), v, &t.type, &t.length, &t.data, &buffer, &offset);
  NAPI_THROW_IF_FAILED(v.Env(), s, t);
  return t;
}

}  // namespace

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsNumber()) return format_number(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s.size() > 40) s = s.substr(0, 40) + "...";
    return "\"" + s + "\"";
  }
  if (v.IsBigInt()) return "a bigint";
  if (v.IsSymbol()) return "a symbol";
  if (v.IsFunction()) return "a function";
  if (v.IsTypedArray()) {
    const TypedArrayInfo t = typed_array_info(v);
    return std::string("a ") + typed_array_name(t.type) + " of length " + std::to_string(t.length);
  }
  if (v.IsArray()) return "an array of length " + std::to_string(v.As<Napi::Array>().Length());
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  if (v.IsDataView()) return "a DataView";
  return "an object";
}

void Args::type_error(std::string_view name, std::string_view expected,
                      const Napi::Value& got) const {
  throw Napi::TypeError::New(env(), std::string(fn_) + ": " + std::string(name) + ": expected " +
                                        std::string(expected) + ", received " + describe(got));
}

void Args::range_error(std::string_view name, std::string_view expected,
                       std::string_view got) const {
  throw Napi::RangeError::New(env(), std::string(fn_) + ": " + std::string(name) + ": expected " +
                                         std::string(expected) + ", received " + std::string(got));
}

std::int64_t Args::integer(const Napi::Value& v, std::string_view name, std::int64_t lo,
                           std::int64_t hi) const {
  const auto expected = [&] {
    return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  };
  if (!v.IsNumber()) type_error(name, expected(), v);
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi)) || std::trunc(x) != x) {
    range_error(name, expected(), describe(v));
  }
  return static_cast<std::int64_t>(x);
}

std::int64_t Args::dim(const Napi::Value& v, std::string_view name) const {
  return integer(v, name, 0, std::numeric_limits<std::int32_t>::max());
}

double Args::number(const Napi::Value& v, std::string_view name) const {
  if (!v.IsNumber()) type_error(name, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

double Args::finite(const Napi::Value& v, std::string_view name) const {
  if (!v.IsNumber()) type_error(name, "a finite number", v);
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) range_error(name, "a finite number", describe(v));
  return x;
}

bool Args::boolean(const Napi::Value& v, std::string_view name) const {
  if (!v.IsBoolean()) type_error(name, "a boolean", v);
  return v.As<Napi::Boolean>().Value();
}

void* Args::floats(const Napi::Value& v, std::string_view name, std::int64_t need,
                   bool nullable) {
  if (nullable && v.IsNull()) return nullptr;
  const auto expected = [&] {
    std::string e = dtype_ == DType::None
                        ? std::string("a Float32Array or Float64Array")
                        : std::string("a ") + dtype_name(dtype_) + " (the type of " + dtype_arg_ + ")";
    if (nullable) e += " or null";
    return e;
  };
  if (!v.IsTypedArray()) type_error(name, expected(), v);
  const TypedArrayInfo t = typed_array_info(v);
  DType d;
  if (t.type == napi_float32_array) {
    d = DType::F32;
  } else if (t.type == napi_float64_array) {
    d = DType::F64;
  } else {
    type_error(name, expected(), v);
  }
  if (dtype_ == DType::None) {
    dtype_ = d;
    dtype_arg_ = name;
  } else if (d != dtype_) {
    type_error(name, expected(), v);
  }
  if (static_cast<std::int64_t>(t.length) < need) {
    range_error(name, "at least " + std::to_string(need) + " elements", describe(v));
  }
  return t.data;
}

void Args::disjoint(const Napi::Value& v, std::string_view name, const void* p, std::int64_t n,
                    std::string_view other, const void* q, std::int64_t m) const {
  if (p == nullptr || q == nullptr || n <= 0 || m <= 0) return;
  const std::uintptr_t size = dtype_ == DType::F64 ? 8 : 4;
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t b = reinterpret_cast<std::uintptr_t>(q);
  if (a < b + static_cast<std::uintptr_t>(m) * size && b < a + static_cast<std::uintptr_t>(n) * size) {
    range_error(name, "an array that does not overlap " + std::string(other), describe(v));
  }
}

std::int32_t* Args::int32s(const Napi::Value& v, std::string_view name,
                           std::int64_t need) const {
  if (!v.IsTypedArray()) type_error(name, "an Int32Array of class indices", v);
  const TypedArrayInfo t = typed_array_info(v);
  if (t.type != napi_int32_array) type_error(name, "an Int32Array of class indices", v);
  if (static_cast<std::int64_t>(t.length) < need) {
    range_error(name, "at least " + std::to_string(need) + " elements", describe(v));
  }
  return static_cast<std::int32_t*>(t.data);
}

std::uint32_t* Args::uint32s(const Napi::Value& v, std::string_view name,
                             std::int64_t need) const {
  if (!v.IsTypedArray()) type_error(name, "a Uint32Array", v);
  const TypedArrayInfo t = typed_array_info(v);
  if (t.type != napi_uint32_array) type_error(name, "a Uint32Array", v);
  if (static_cast<std::int64_t>(t.length) < need) {
    range_error(name, "at least " + std::to_string(need) + " elements", describe(v));
  }
  return static_cast<std::uint32_t*>(t.data);
}

void Args::class_indices(const std::int32_t* t, std::int64_t n, std::int64_t C,
                         std::string_view name) const {
  for (std::int64_t i = 0; i < n; ++i) {
    if (t[i] < 0 || t[i] >= C) {
      range_error(name, "class indices in [0, " + std::to_string(C) + ")",
                  std::to_string(t[i]) + " at index " + std::to_string(i));
    }
  }
}

Napi::Object Args::object(const Napi::Value& v, std::string_view name) const {
  if (!v.IsObject() || v.IsArray() || v.IsFunction() || v.IsTypedArray()) {
    type_error(name, "an options object", v);
  }
  return v.As<Napi::Object>();
}

double rule(const Args& a, const Napi::Value& v, const char* name, const Rule& r) {
  const double x = a.finite(v, name);
  const bool lo = r.min_open ? x > r.min : x >= r.min;
  const bool hi = r.max_open ? x < r.max : x <= r.max;
  if (!(lo && hi)) a.range_error(name, r.expected, describe(v));
  return x;
}

void rule_value(const Args& a, double x, std::string_view name, const Rule& r) {
  const bool lo = r.min_open ? x > r.min : x >= r.min;
  const bool hi = r.max_open ? x < r.max : x <= r.max;
  if (!(lo && hi)) a.range_error(name, r.expected, std::to_string(x));
}

}  // namespace ffnn::binding
