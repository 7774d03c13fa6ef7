/// @file
/// DType: the two element types of a tensor. float32 trains; float64 checks gradients.
/// Kernels are templates over the C++ type; `dispatch` picks the instantiation at run time,
/// so every op has one code path for both.
#pragma once
#include <cstdint>
#include <utility>

namespace gatgrad {

enum class DType : uint8_t { f32, f64 };

inline const char* dtype_name(DType d) { return d == DType::f32 ? "float32" : "float64"; }
inline int64_t dtype_size(DType d) { return d == DType::f32 ? 4 : 8; }

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }

/// `dispatch(d, [&]<class T>() { kernel<T>(...); })` calls the lambda with T = float or double.
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
  if (d == DType::f32) return std::forward<F>(f).template operator()<float>();
  return std::forward<F>(f).template operator()<double>();
}

}  // namespace gatgrad
