#include "autograd/tensor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gatgrad {

TensorImpl& Tensor::impl() const {
  if (!impl_) throw Error("Tensor: use of an undefined tensor");
  return *impl_;
}

void Tensor::check_dtype(DType want) const {
  if (impl().dtype != want)
    throw Error(std::string("Tensor::data: the tensor holds ") + dtype_name(impl().dtype) +
                ", not " + dtype_name(want));
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Buffer>(static_cast<size_t>(shape.numel() * dtype_size(dtype)));
  return Tensor(std::move(impl));
}

bool Tensor::can_borrow(const void* data, DType dtype) {
  return reinterpret_cast<uintptr_t>(data) % static_cast<uintptr_t>(dtype_size(dtype)) == 0;
}

Tensor Tensor::from_external(const void* data, const Shape& shape, DType dtype, std::shared_ptr<const void> owner) {
  if (!can_borrow(data, dtype))
    throw Error(std::string("Tensor::from_external: data not aligned to its element type (") + dtype_name(dtype) + ")");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Buffer>(const_cast<void*>(data), static_cast<size_t>(shape.numel() * dtype_size(dtype)),
                                           std::move(owner));
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.impl().storage->data(), 0, static_cast<size_t>(t.numel() * dtype_size(dtype)));
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() { std::fill_n(t.data<T>(), t.numel(), static_cast<T>(value)); });
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  if (static_cast<int64_t>(values.size()) != shape.numel())
    throw Error("Tensor::from_vector: " + std::to_string(values.size()) +
                " values do not fill shape " + shape.str());
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() { std::copy(values.begin(), values.end(), t.data<T>()); });
  return t;
}

int64_t Tensor::size(int axis) const {
  int n = dim();
  int a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n)
    throw Error("Tensor::size: axis " + std::to_string(axis) + " out of range for " + describe());
  return shape()[a];
}

std::string Tensor::describe() const {
  if (!impl_) return "undefined";
  return std::string(dtype_name(dtype())) + shape().str();
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out(static_cast<size_t>(numel()));
  dispatch(dtype(), [&]<class T>() { std::copy_n(data<T>(), numel(), out.begin()); });
  return out;
}

double Tensor::item() const {
  if (numel() != 1) throw Error("Tensor::item: tensor " + describe() + " has not exactly one element");
  return dispatch(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[0]); });
}

double Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int>(index.size()) != dim())
    throw Error("Tensor::at: " + std::to_string(index.size()) + " indices for " + describe());
  int64_t flat = 0;
  int axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape()[axis])
      throw Error("Tensor::at: index " + std::to_string(i) + " out of range on axis " +
                  std::to_string(axis) + " of " + describe());
    flat = flat * shape()[axis] + i;
    ++axis;
  }
  return dispatch(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[flat]); });
}

Tensor& Tensor::requires_grad_(bool on) {
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(impl().grad); }

Tensor Tensor::grad_accum() const {
  if (!impl().grad) impl().grad = zeros(shape(), dtype()).impl_;
  return Tensor(impl().grad);
}

void Tensor::zero_grad() const { impl().grad.reset(); }

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined() && (g.shape() != shape() || g.dtype() != dtype()))
    throw Error("Tensor::set_grad: gradient " + g.describe() + " does not match tensor " + describe());
  impl().grad = g.impl_;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape();
  impl->dtype = dtype();
  impl->storage = this->impl().storage;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), dtype());
  std::memcpy(t.impl().storage->data(), impl().storage->data(),
              static_cast<size_t>(numel() * dtype_size(dtype())));
  return t;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return clone();
  Tensor t = empty(shape(), target);
  dispatch(dtype(), [&]<class S>() {
    dispatch(target, [&]<class D>() { std::copy_n(data<S>(), numel(), t.data<D>()); });
  });
  return t;
}

void Tensor::copy_from(const Tensor& src) const {
  if (src.shape() != shape() || src.dtype() != dtype())
    throw Error("Tensor::copy_from: source " + src.describe() + " does not match " + describe());
  std::memcpy(impl().storage->data(), src.impl().storage->data(),
              static_cast<size_t>(numel() * dtype_size(dtype())));
}

}  // namespace gatgrad
