// Where NumPy and gatgrad's containers meet (bindings.hpp says which crossings copy).
#include <cstring>

#include "autograd/error.hpp"
#include "bindings.hpp"

namespace gatgrad::python {

std::shared_ptr<const void> keep_alive(py::object owner) {
  auto* held = new py::object(std::move(owner));
  return std::shared_ptr<const void>(held, [](const void* p) {
    py::gil_scoped_acquire gil;  // the last copy may go on a worker thread, with the GIL released
    delete static_cast<const py::object*>(p);
  });
}

NpyArray to_npy(const py::array& array, const std::string& name) {
  static const char* const kTypes[] = {"<f4", "<f8", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1"};
  const std::string dtype = py::str(array.dtype().attr("str"));
  bool known = false;
  for (const char* t : kTypes) known |= dtype == t;
  if (!known)
    throw DataError(name + ": dtype " + std::string(py::str(array.dtype())) +
                    " is not one a dataset holds (floats, integers or bools)");
  if (!(array.flags() & py::array::c_style)) throw DataError(name + ": the array is not C-contiguous");
  NpyArray a;
  a.name = name;
  a.dtype = dtype;
  a.shape.assign(array.shape(), array.shape() + array.ndim());
  a.bytes.resize(static_cast<size_t>(array.nbytes()));
  if (!a.bytes.empty()) std::memcpy(a.bytes.data(), array.data(), a.bytes.size());
  return a;
}

py::array to_numpy(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  auto* keep = new std::shared_ptr<TensorImpl>(t.impl_ptr());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<TensorImpl>*>(p); });
  if (t.dtype() == DType::f32) return py::array_t<float>(shape, t.data<float>(), base);
  return py::array_t<double>(shape, t.data<double>(), base);
}

DType parse_dtype(const std::string& name) {
  if (name == "float32") return DType::f32;
  if (name == "float64") return DType::f64;
  throw UsageError("dtype '" + name + "': a tensor holds float32 or float64");
}

Tensor from_numpy(const py::array& array, const std::string& dtype) {
  const DType want = !dtype.empty() ? parse_dtype(dtype)
                     : array.dtype().is(py::dtype::of<double>()) ? DType::f64 : DType::f32;
  if (array.ndim() > Shape::kMaxDims)
    throw UsageError("a tensor has at most " + std::to_string(Shape::kMaxDims) + " axes, the array " +
                     std::to_string(array.ndim()));
  const Shape shape(array.shape(), array.shape() + array.ndim());
  Tensor t = Tensor::empty(shape, want);
  dispatch(want, [&]<class T>() {
    auto values = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(array);
    if (!values) throw UsageError("the array cannot be converted to " + std::string(dtype_name(want)));
    if (t.numel() > 0) std::memcpy(t.data<T>(), values.data(), static_cast<size_t>(t.numel()) * sizeof(T));
  });
  return t;
}

std::vector<int64_t> to_int64_vector(const py::array& array, const char* name) {
  if (array.dtype().kind() != 'i' && array.dtype().kind() != 'u' && array.dtype().kind() != 'b')
    throw DataError(std::string(name) + ": expected integers, found dtype " + std::string(py::str(array.dtype())));
  auto values = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
  if (values.ndim() != 1) throw DataError(std::string(name) + ": expected a 1-d array");
  return std::vector<int64_t>(values.data(), values.data() + values.size());
}

}  // namespace gatgrad::python
