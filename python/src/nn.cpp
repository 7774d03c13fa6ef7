// What a model written in Python needs besides the ops: its parameters' initialisation
// (nn/init.hpp), dropout keys (autograd/random.hpp), optimisers (nn/optim.hpp: torch.optim's
// SGD, Adam, AdamW), metrics (nn/metrics.hpp) and the input features of a first layer, dense or
// CSR, with their product (models/input_features.hpp).
#include <pybind11/stl.h>

#include "autograd/random.hpp"
#include "bindings.hpp"
#include "models/input_features.hpp"
#include "nn/init.hpp"
#include "nn/metrics.hpp"
#include "nn/optim.hpp"

namespace gatgrad::python {

void bind_nn(py::module_& m) {
  m.def("derive_key", &derive_key, py::arg("seed"), py::arg("stream"),
        "An independent 64-bit random stream per (seed, stream): dropout keys, initialisers.");
  m.def("glorot_uniform", [](const std::vector<int64_t>& shape, uint64_t key, const std::string& dtype) {
          Tensor t = Tensor::empty(Shape(shape.begin(), shape.end()), parse_dtype(dtype));
          nn::glorot_uniform(t, key);
          return t.requires_grad_(true), t;
        }, py::arg("shape"), py::arg("key"), py::arg("dtype") = "float32",
        "A parameter [in, out] filled by Glorot's uniform initialisation (requires_grad set).");

  py::class_<nn::Optimizer>(m, "Optimizer", "Updates its parameters from their gradients (nn/optim.hpp).")
      .def("step", &nn::Optimizer::step)
      .def("zero_grad", &nn::Optimizer::zero_grad)
      .def_property("lr", &nn::Optimizer::lr, &nn::Optimizer::set_lr)
      .def_property_readonly("step_count", &nn::Optimizer::step_count);
  py::class_<nn::SGD, nn::Optimizer>(m, "SGD")
      .def(py::init<std::vector<Tensor>, double, double, double, double, bool>(), py::arg("params"), py::arg("lr"),
           py::arg("momentum") = 0.0, py::arg("weight_decay") = 0.0, py::arg("dampening") = 0.0, py::arg("nesterov") = false);
  py::class_<nn::Adam, nn::Optimizer>(m, "Adam", "torch.optim.Adam: L2 weight decay added to the gradient.")
      .def(py::init([](std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps, double weight_decay) {
             return std::make_unique<nn::Adam>(std::move(params), lr, betas.first, betas.second, eps, weight_decay);
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::pair{nn::kAdamBeta1, nn::kAdamBeta2},
           py::arg("eps") = nn::kAdamEps, py::arg("weight_decay") = 0.0);
  py::class_<nn::AdamW, nn::Adam>(m, "AdamW", "torch.optim.AdamW: decoupled weight decay.")
      .def(py::init([](std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps, double weight_decay) {
             return std::make_unique<nn::AdamW>(std::move(params), lr, betas.first, betas.second, eps, weight_decay);
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::pair{nn::kAdamBeta1, nn::kAdamBeta2},
           py::arg("eps") = nn::kAdamEps, py::arg("weight_decay") = 1e-2);

  m.def("accuracy", [](const Tensor& logits, const py::array& labels, const std::optional<py::array>& rows) {
          const std::vector<int64_t> y = to_int64_vector(labels, "labels");
          return rows ? nn::accuracy(logits, y, to_int64_vector(*rows, "rows")) : nn::accuracy(logits, y);
        }, py::arg("logits"), py::arg("labels"), py::arg("rows") = py::none(),
        "The fraction of `rows` whose largest logit is at their label.");

  py::class_<InputFeatures>(m, "Features", "Node features as a first layer takes them: a dense tensor or a constant CSR matrix.")
      .def(py::init<Tensor>(), py::arg("dense"))
      .def_property_readonly("is_sparse", &InputFeatures::is_sparse)
      .def_property_readonly("shape", [](const InputFeatures& x) { return py::make_tuple(x.rows(), x.cols()); })
      .def("__repr__", [](const InputFeatures& x) {
        return "gatgrad.Features(" + std::string(x.is_sparse() ? "CSR " : "dense ") + std::to_string(x.rows()) + " x " +
               std::to_string(x.cols()) + ")";
      });
  py::implicitly_convertible<Tensor, InputFeatures>();
  m.def("dropout_matmul", &dropout_matmul, py::arg("x"), py::arg("w"), py::arg("p"), py::arg("key"),
        "dropout(x, p) · w on dense or CSR x [N, F], w [F, D] -> [N, D] (sparse: only stored values drop).");
}

}  // namespace gatgrad::python
