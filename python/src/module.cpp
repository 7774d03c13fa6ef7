// gatgrad._gatgrad: the extension the Python package gatgrad (python/gatgrad/) wraps.
// Errors: a DataError or UsageError (bad data, a bad argument) raises ValueError with the C++
// message, which names the array or field; any other gatgrad::Error raises RuntimeError, and a
// diverged training gatgrad.TrainingDiverged. Nothing aborts the interpreter.
#include <tbb/global_control.h>
#include <tbb/info.h>

#include "autograd/error.hpp"
#include "autograd/isa.hpp"
#include "autograd/version.hpp"
#include "bindings.hpp"
#include "train/trainer.hpp"

namespace gatgrad::python {
namespace {

std::unique_ptr<tbb::global_control> thread_limit;  // set_num_threads's, for the process

}  // namespace
}  // namespace gatgrad::python

PYBIND11_MODULE(_gatgrad, m) {
  using namespace gatgrad;
  using namespace gatgrad::python;
  m.doc() = "gatgrad's C++ library (tensors, tape, graphs, GAT) for the Python package gatgrad";
  static py::exception<TrainingDiverged> diverged(m, "TrainingDiverged", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const TrainingDiverged& e) {
      diverged(e.what());
    } catch (const DataError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  m.attr("__version__") = version();
  m.def("isa", [] { return std::string(kernels::isa_name(kernels::active_isa())); },
        "The instruction-set level the kernels run at.");
  m.def("set_num_threads", [](int n) {
    if (n < 1) throw UsageError("set_num_threads: " + std::to_string(n) + " threads (at least 1)");
    thread_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(n));
  }, py::arg("n"), "Use at most n threads (oneTBB), as gat-train --threads.");
  m.def("num_threads", [] {
    return static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  });
  bind_tensor(m);
  bind_graph(m);
  bind_dataset(m);
  bind_nn(m);
  bind_model(m);
  bind_tasks(m);
}
