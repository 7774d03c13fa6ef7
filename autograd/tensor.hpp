/// @file
/// Tensor: a dense, row-major, contiguous n-d array of float32 or float64, with an optional
/// gradient. A Tensor is a cheap handle (shared_ptr); copies share the same data.
/// Ops that record on the tape live in autograd/ops.hpp; this file is just the container.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autograd/buffer.hpp"
#include "autograd/dtype.hpp"
#include "autograd/error.hpp"
#include "autograd/shape.hpp"

namespace gatgrad {

struct TensorImpl {
  Shape shape;
  DType dtype = DType::f32;
  std::shared_ptr<Buffer> storage;  ///< shared by reshape views
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  ///< same shape and dtype, created on first accumulation
  uint64_t tape_generation = 0;      ///< generation of the tape that recorded the op making it
  bool recorded = false;             ///< true when an op on the tape produced this tensor
};

class Tensor {
 public:
  Tensor() = default;  ///< an undefined tensor (no data)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // --- construction (uninitialised, filled, from values) ---
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            DType dtype = DType::f32);
  template <class T>
  static Tensor from_span(std::span<const T> values, const Shape& shape) {
    Tensor t = empty(shape, dtype_of<T>());
    if (static_cast<int64_t>(values.size()) != shape.numel())
      throw Error("Tensor::from_span: " + std::to_string(values.size()) +
                  " values do not fill shape " + shape.str());
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  static Tensor scalar(double value, DType dtype = DType::f32) { return full({}, value, dtype); }
  /// A tensor over memory it does not own (a read-only file mapping, say): no copy; `owner`
  /// lives as long as the data is used. The data must satisfy can_borrow and must not be
  /// written: give it to ops as an input that needs no gradient.
  static Tensor from_external(const void* data, const Shape& shape, DType dtype, std::shared_ptr<const void> owner);
  /// Whether memory owned elsewhere can be a tensor's data as it lies: aligned to its element
  /// type. The kernels load from any such address (none peels to an alignment, so the bits do
  /// not depend on it either); 64-byte alignment is the pool's choice for speed, not a need. So
  /// an .npy file's data and NumPy's own arrays (16 bytes past a cache line, mostly) qualify.
  static bool can_borrow(const void* data, DType dtype);

  // --- what it is ---
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int dim() const { return impl().shape.size(); }
  int64_t size(int axis) const;  ///< negative axes count from the end
  int64_t numel() const { return impl().shape.numel(); }
  DType dtype() const { return impl().dtype; }
  std::string describe() const;  ///< "float32[2708, 64]"

  // --- the data, as raw contiguous memory (T must match dtype) ---
  template <class T>
  T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<T*>(impl().storage->data());
  }
  template <class T>
  std::span<T> span() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  std::vector<double> to_vector() const;  ///< all values, converted to double
  double item() const;                    ///< the value of a one-element tensor
  double at(std::initializer_list<int64_t> index) const;

  // --- gradients ---
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);
  bool has_grad() const { return impl().grad != nullptr; }
  Tensor grad() const;         ///< undefined when no gradient has been accumulated
  Tensor grad_accum() const;   ///< the gradient, created as zeros on first use (for backward)
  void zero_grad() const;      ///< forget the gradient
  void set_grad(const Tensor& g) const;

  // --- copies ---
  Tensor detach() const;        ///< same data, no gradient, not on the tape
  Tensor clone() const;         ///< a copy of the data, no gradient
  Tensor to(DType dtype) const; ///< converted copy (a clone if already that dtype)
  void copy_from(const Tensor& src) const;  ///< overwrite values (same shape); no tape

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  void check_dtype(DType want) const;
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace gatgrad
