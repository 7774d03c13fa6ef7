/// @file
/// gatgrad's tensors as xtensor arrays, and back: the C++ user's NumPy at gatgrad's edges.
///
///   adapt<T>(t), adapt<T, N>(t)   a view of tensor t's storage as an xtensor adaptor with t's
///                                 shape: no copy; writable through a non-const tensor, read-only
///                                 through a const one. T is t's element type (float for a float32
///                                 tensor, double for float64): a mismatch throws Error naming both.
///   from_xtensor(e[, dtype])      a new tensor holding the values of xtensor expression e,
///                                 evaluated once, straight into gatgrad's own storage.
///
/// PyTorch's equivalents are `torch.from_numpy(a)` / `t.numpy()` (zero-copy both ways) and
/// `torch.tensor(a)` (a copy); PyG and DGL take and give torch tensors. Here the view goes one
/// way only, tensor -> xtensor: a Tensor's storage is pooled and owned by the tensor, so an
/// xtensor container is copied in (from_xtensor), never adopted.
///
/// The adaptor does not own the data: the tensor (or a copy of its handle) must outlive it, so
/// adapt() refuses a temporary at compile time (`adapt<float>(model.forward(...))` would dangle;
/// name the tensor first). Like every xtensor expression, `auto v = adapt<float>(t) * 2` is lazy
/// and reads t when it is evaluated; assign it to an xt::xtensor to keep the values.
///
/// Only the code at the edges includes this header (it brings xtensor's templates, heavy to
/// compile): gatgrad's kernels work on raw spans, with xsimd and oneTBB.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad {

namespace xtensor_detail {

template <class T>
inline constexpr bool is_tensor_element = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
const char* element_name() {
  return std::is_same_v<T, float> ? "float" : "double";
}

// The tensor is defined and holds T, or an Error says what it holds and what would read it.
template <class T>
void check_element(const Tensor& t) {
  static_assert(is_tensor_element<T>, "gatgrad::adapt<T>: T is float (float32 tensors) or double (float64 tensors)");
  const std::string fn = std::string("gatgrad::adapt<") + element_name<T>() + ">";
  if (!t.defined()) throw Error(fn + ": the tensor is undefined (it holds no data)");
  if (t.dtype() != dtype_of<T>())
    throw Error(fn + ": the tensor is " + t.describe() + ", not " + dtype_name(dtype_of<T>()) + ": adapt<" +
                (t.dtype() == DType::f32 ? "float" : "double") + "> views it, or convert a copy first with t.to(DType::" +
                (dtype_of<T>() == DType::f32 ? "f32" : "f64") + ")");
}

inline std::vector<std::size_t> shape_of(const Tensor& t) { return {t.shape().begin(), t.shape().end()}; }

template <class T, std::size_t N>
std::array<std::size_t, N> shape_of(const Tensor& t) {
  if (t.dim() != static_cast<int>(N))
    throw Error(std::string("gatgrad::adapt<") + element_name<T>() + ", " + std::to_string(N) + ">: the tensor is " +
                t.describe() + ", of " + std::to_string(t.dim()) + " axes, not " + std::to_string(N));
  std::array<std::size_t, N> s{};
  for (std::size_t i = 0; i < N; ++i) s[i] = static_cast<std::size_t>(t.shape()[static_cast<int>(i)]);
  return s;
}

}  // namespace xtensor_detail

/// Tensor t's values as an xtensor array of t's shape, any rank (an xt::xarray_adaptor): a view,
/// no copy; writing through it writes t. T: float for float32, double for float64.
/// @throws Error when t is undefined or holds the other element type
template <class T>
auto adapt(Tensor& t) {
  xtensor_detail::check_element<T>(t);
  return xt::adapt(t.data<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(), xtensor_detail::shape_of(t));
}

/// The read-only view of a const tensor (its elements are const T).
template <class T>
auto adapt(const Tensor& t) {
  xtensor_detail::check_element<T>(t);
  const T* data = t.data<T>();
  return xt::adapt(data, static_cast<std::size_t>(t.numel()), xt::no_ownership(), xtensor_detail::shape_of(t));
}

/// The view with its rank N fixed at compile time (an xt::xtensor_adaptor, like xt::xtensor<T, N>):
/// `xt::xtensor<float, 2> logits = adapt<float, 2>(model_output);` copies the values out.
/// @throws Error when t is undefined, holds the other element type or has another number of axes
template <class T, std::size_t N>
auto adapt(Tensor& t) {
  xtensor_detail::check_element<T>(t);
  return xt::adapt(t.data<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                   xtensor_detail::shape_of<T, N>(t));
}

template <class T, std::size_t N>
auto adapt(const Tensor& t) {
  xtensor_detail::check_element<T>(t);
  const T* data = t.data<T>();
  return xt::adapt(data, static_cast<std::size_t>(t.numel()), xt::no_ownership(), xtensor_detail::shape_of<T, N>(t));
}

/// A temporary tensor would be freed while its view is in use: name it first.
template <class T>
auto adapt(Tensor&& t) = delete;
template <class T>
auto adapt(const Tensor&& t) = delete;
template <class T, std::size_t N>
auto adapt(Tensor&& t) = delete;
template <class T, std::size_t N>
auto adapt(const Tensor&& t) = delete;

/// A new tensor of dtype `dtype` holding the values of the xtensor expression e (a container,
/// an adaptor or a lazy expression such as `xt::exp(a) / 2`), same shape, converted with
/// static_cast; e is evaluated once, element by element, straight into the tensor's storage.
/// The tensor needs no gradient. (PyTorch: torch.tensor(a, dtype=...).)
/// @throws Error when e has more axes than a tensor holds (6)
template <class E>
Tensor from_xtensor(const xt::xexpression<E>& e, DType dtype) {
  const E& expr = e.derived_cast();
  if (expr.dimension() > static_cast<std::size_t>(Shape::kMaxDims))
    throw Error("gatgrad::from_xtensor: the expression has " + std::to_string(expr.dimension()) +
                " axes; a tensor holds at most " + std::to_string(Shape::kMaxDims));
  const Shape shape(expr.shape().begin(), expr.shape().end());
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    auto out = adapt<T>(t);
    xt::noalias(out) = xt::cast<T>(expr);
  });
  return t;
}

/// The same, of the expression's own element type: float -> float32, double -> float64
/// (an expression of integers or of bools names its dtype: from_xtensor(e, DType::f32)).
template <class E>
Tensor from_xtensor(const xt::xexpression<E>& e) {
  using V = std::decay_t<typename E::value_type>;
  static_assert(xtensor_detail::is_tensor_element<V>,
                "gatgrad::from_xtensor(e): e holds neither float nor double; name the dtype: from_xtensor(e, DType::f32)");
  return from_xtensor(e, dtype_of<V>());
}

}  // namespace gatgrad
