// The pieces of the extension gatgrad._gatgrad (python/gatgrad/ wraps it): each file binds one
// part of the public C++ API, and arrays.cpp is where NumPy and gatgrad's containers meet.
// Copies: a Tensor's numpy() is a view of its data (no copy); a NumPy array becomes a Tensor by a
// copy (into storage the tensor owns, from gatgrad's pool); a dataset's float32 C-contiguous
// features are used where they lie when not normalised (dataset.cpp), copied once otherwise.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "io/npy.hpp"

namespace gatgrad::python {

namespace py = pybind11;

void bind_tensor(py::module_& m);   // tensor.cpp: Tensor, the ops, backward, no_grad
void bind_graph(py::module_& m);    // graph.cpp: Graph and the message-passing ops
void bind_dataset(py::module_& m);  // dataset.cpp: datasets from arrays, directories, the generator
void bind_nn(py::module_& m);       // nn.cpp: initialisers, optimisers, metrics, features
void bind_model(py::module_& m);    // model.cpp: GAT / GATv2, training, prediction, checkpoints
void bind_tasks(py::module_& m);    // tasks.cpp: link prediction and graph classification

// ---- arrays.cpp ----

/// An owner for memory that a Python object holds: the object stays alive while the C++ side
/// uses its memory, and is released under the GIL, from whichever thread drops the last copy.
std::shared_ptr<const void> keep_alive(py::object owner);

/// `array` (C-contiguous, a dtype .npy files have) as an NpyArray named `name` (a copy of its bytes).
/// Throws ValueError naming `name` for another dtype.
NpyArray to_npy(const py::array& array, const std::string& name);

/// A view of t's data as an ndarray (no copy; the array keeps the tensor's data alive).
py::array to_numpy(const Tensor& t);

/// A copy of `array` as a tensor: float64 stays float64, anything else becomes float32 (or
/// `dtype`, "float32" / "float64", when given).
Tensor from_numpy(const py::array& array, const std::string& dtype = "");

/// Integer ids from any 1-d integer array (labels, rows), copied.
std::vector<int64_t> to_int64_vector(const py::array& array, const char* name);

DType parse_dtype(const std::string& name);

}  // namespace gatgrad::python
