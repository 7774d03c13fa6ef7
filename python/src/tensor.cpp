// gatgrad.Tensor and the differentiable ops of autograd/ops.hpp (PyTorch's torch.Tensor and
// torch.* functions, reduced to gatgrad's float32/float64 tensors and its tape).
#include <pybind11/stl.h>

#include <optional>
#include <variant>

#include "autograd/ops.hpp"
#include "bindings.hpp"

namespace gatgrad::python {
namespace {

// A Python operand of an arithmetic operator: a tensor, or a number.
using Operand = std::variant<Tensor, double>;

Tensor binary(const Tensor& a, const Operand& b, Tensor (*tensor_op)(const Tensor&, const Tensor&),
              Tensor (*scalar_op)(const Tensor&, double)) {
  if (const Tensor* t = std::get_if<Tensor>(&b)) return tensor_op(a, *t);
  return scalar_op(a, std::get<double>(b));
}

Tensor sub_scalar(const Tensor& x, double s) { return add_scalar(x, -s); }
Tensor div_scalar(const Tensor& x, double s) { return mul_scalar(x, 1.0 / s); }

std::vector<int64_t> shape_of(const Tensor& t) { return {t.shape().begin(), t.shape().end()}; }

std::vector<int64_t> rows_or_all(const std::optional<py::array>& rows) {
  return rows ? to_int64_vector(*rows, "rows") : std::vector<int64_t>{};
}

// While alive, ops record nothing (torch.no_grad()): `with gatgrad.no_grad(): ...`.
struct NoGrad {
  std::optional<NoGradGuard> guard;
};

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<Tensor>(m, "Tensor", "A float32 or float64 n-d array with an optional gradient (autograd/tensor.hpp).")
      .def(py::init([](const py::array& a, bool requires_grad, const std::string& dtype) {
             Tensor t = from_numpy(a, dtype);
             t.requires_grad_(requires_grad);
             return t;
           }),
           py::arg("array"), py::arg("requires_grad") = false, py::arg("dtype") = "",
           "A copy of `array`: float64 stays float64, any other dtype becomes float32 (or `dtype`).")
      .def_static("zeros", [](const std::vector<int64_t>& shape, const std::string& dtype, bool requires_grad) {
             Tensor t = Tensor::zeros(Shape(shape.begin(), shape.end()), parse_dtype(dtype));
             return t.requires_grad_(requires_grad), t;
           }, py::arg("shape"), py::arg("dtype") = "float32", py::arg("requires_grad") = false)
      .def_static("empty", [](const std::vector<int64_t>& shape, const std::string& dtype, bool requires_grad) {
             Tensor t = Tensor::empty(Shape(shape.begin(), shape.end()), parse_dtype(dtype));
             return t.requires_grad_(requires_grad), t;
           }, py::arg("shape"), py::arg("dtype") = "float32", py::arg("requires_grad") = false)
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(shape_of(t))); })
      .def_property_readonly("dtype", [](const Tensor& t) { return std::string(dtype_name(t.dtype())); })
      .def_property_readonly("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("numpy", &to_numpy, "A view of the data as an ndarray (no copy: writing it writes the tensor).")
      .def("__array__", [](const Tensor& t, py::args) { return to_numpy(t); })
      .def("item", &Tensor::item)
      .def_property("requires_grad", &Tensor::requires_grad, [](Tensor& t, bool on) { t.requires_grad_(on); })
      .def("requires_grad_", [](Tensor& t, bool on) { return t.requires_grad_(on); }, py::arg("on") = true)
      .def_property_readonly("grad", [](const Tensor& t) -> std::optional<Tensor> {
        if (!t.has_grad()) return std::nullopt;
        return t.grad();
      })
      .def("zero_grad", &Tensor::zero_grad)
      .def("detach", &Tensor::detach)
      .def("clone", &Tensor::clone)
      .def("to", [](const Tensor& t, const std::string& dtype) { return t.to(parse_dtype(dtype)); })
      .def("backward", [](const Tensor& t, std::optional<Tensor> seed) { backward(t, seed ? *seed : Tensor()); },
           py::arg("seed") = py::none(), "Reverse-mode sweep of this thread's tape from this tensor (autograd/tape.hpp).")
      .def("__repr__", [](const Tensor& t) {
        return "gatgrad.Tensor(" + t.describe() + (t.requires_grad() ? ", requires_grad=True" : "") + ")";
      })
      .def("__len__", [](const Tensor& t) { return t.dim() == 0 ? 0 : t.size(0); })
      .def("__add__", [](const Tensor& a, const Operand& b) { return binary(a, b, add, add_scalar); })
      .def("__radd__", [](const Tensor& a, double b) { return add_scalar(a, b); })
      .def("__sub__", [](const Tensor& a, const Operand& b) { return binary(a, b, sub, sub_scalar); })
      .def("__rsub__", [](const Tensor& a, double b) { return add_scalar(neg(a), b); })
      .def("__mul__", [](const Tensor& a, const Operand& b) { return binary(a, b, mul, mul_scalar); })
      .def("__rmul__", [](const Tensor& a, double b) { return mul_scalar(a, b); })
      .def("__truediv__", [](const Tensor& a, const Operand& b) { return binary(a, b, div, div_scalar); })
      .def("__neg__", [](const Tensor& a) { return neg(a); })
      .def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); })
      .def("sum", [](const Tensor& x, std::optional<int> axis, bool keepdim) { return axis ? sum(x, *axis, keepdim) : sum(x); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("mean", [](const Tensor& x, std::optional<int> axis, bool keepdim) { return axis ? mean(x, *axis, keepdim) : mean(x); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("max", [](const Tensor& x, std::optional<int> axis, bool keepdim) { return axis ? max(x, *axis, keepdim) : max(x); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("reshape", [](const Tensor& x, py::args extents) {
        std::vector<int64_t> e;
        if (extents.size() == 1 && py::isinstance<py::sequence>(extents[0])) e = extents[0].cast<std::vector<int64_t>>();
        else e = extents.cast<std::vector<int64_t>>();
        return reshape(x, e);
      });

  // ---- the ops (autograd/ops.hpp), under their C++ names ----
  m.def("add", &add).def("sub", &sub).def("mul", &mul).def("div", &div).def("neg", &neg);
  m.def("exp", &exp).def("log", &log).def("sqrt", &sqrt);
  m.def("pow", &pow, py::arg("x"), py::arg("p"));
  m.def("relu", &relu);
  m.def("leaky_relu", &leaky_relu, py::arg("x"), py::arg("negative_slope") = 0.01);
  m.def("elu", &elu, py::arg("x"), py::arg("alpha") = 1.0);
  m.def("sigmoid", &sigmoid).def("tanh", &tanh);
  m.def("matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false);
  m.def("reshape", &reshape, py::arg("x"), py::arg("shape"));
  m.def("transpose", &transpose, py::arg("x"), py::arg("axis0") = -2, py::arg("axis1") = -1);
  m.def("concat", &concat, py::arg("tensors"), py::arg("axis"));
  m.def("slice", &slice, py::arg("x"), py::arg("axis"), py::arg("start"), py::arg("end"));
  m.def("index_select", [](const Tensor& x, const py::array& rows) { return index_select(x, to_int64_vector(rows, "rows")); },
        py::arg("x"), py::arg("rows"));
  m.def("softmax", &softmax, py::arg("x"), py::arg("axis") = -1);
  m.def("log_softmax", &log_softmax, py::arg("x"), py::arg("axis") = -1);
  m.def("dropout", &dropout, py::arg("x"), py::arg("p"), py::arg("key"),
        "Zeroes each element with probability p (mask: a pure function of `key`), scales the rest by 1/(1-p).");
  m.def("cross_entropy", [](const Tensor& logits, const py::array& labels, const std::optional<py::array>& rows) {
          return cross_entropy(logits, to_int64_vector(labels, "labels"), rows_or_all(rows));
        }, py::arg("logits"), py::arg("labels"), py::arg("rows") = py::none(),
        "Mean of -log softmax(logits[r])[labels[r]] over `rows` (all rows when None); torch.nn.functional.cross_entropy.");
  m.def("binary_cross_entropy_with_logits", [](const Tensor& logits, const Tensor& targets, const std::optional<py::array>& rows) {
          return binary_cross_entropy_with_logits(logits, targets, rows_or_all(rows));
        }, py::arg("logits"), py::arg("targets"), py::arg("rows") = py::none());

  // ---- the tape (autograd/tape.hpp) ----
  m.def("backward", [](const Tensor& loss, std::optional<Tensor> seed) { backward(loss, seed ? *seed : Tensor()); },
        py::arg("loss"), py::arg("seed") = py::none());
  m.def("tape_size", &tape_size);
  m.def("tape_clear", &tape_clear);
  m.def("tape_op_names", &tape_op_names);
  m.def("grad_enabled", &grad_enabled);
  py::class_<NoGrad>(m, "no_grad", "While inside `with gatgrad.no_grad():`, ops record nothing (torch.no_grad).")
      .def(py::init<>())
      .def("__enter__", [](NoGrad& g) { g.guard.emplace(); })
      .def("__exit__", [](NoGrad& g, py::args) { g.guard.reset(); });
}

}  // namespace gatgrad::python
