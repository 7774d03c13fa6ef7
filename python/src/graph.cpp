// gatgrad.Graph (graph/graph.hpp) and the message-passing ops over it (graph/message_passing.hpp):
// PyG's edge_index with torch_scatter's gather / scatter and torch_geometric.utils.softmax.
#include <pybind11/stl.h>

#include "autograd/error.hpp"
#include "bindings.hpp"
#include "graph/message_passing.hpp"

namespace gatgrad::python {
namespace {

Endpoint endpoint(const std::string& name) {
  if (name == "src") return Endpoint::src;
  if (name == "dst") return Endpoint::dst;
  throw UsageError("endpoint '" + name + "': 'src' (the sender j of edge j -> i) or 'dst' (the receiver i)");
}

// The int32 values of `a` as an ndarray of int64 (a copy).
py::array_t<int64_t> int64_array(std::span<const int32_t> a) {
  py::array_t<int64_t> out(static_cast<py::ssize_t>(a.size()));
  std::copy(a.begin(), a.end(), out.mutable_data());
  return out;
}

}  // namespace

void bind_graph(py::module_& m) {
  py::class_<Graph>(m, "Graph",
                    "A directed graph, edges j -> i grouped by destination (the edge order of every per-edge "
                    "tensor) and by source (graph/graph.hpp). Built from PyG's edge_index [2, E].")
      .def(py::init([](const py::array& edge_index, int64_t num_nodes) {
             // edge_index [2, E] of any integer dtype: its rows copied, the graph's arrays built from them.
             if (edge_index.ndim() != 2 || edge_index.shape(0) != 2)
               throw DataError("edge_index: expected shape (2, E) [source row, target row], found " +
                               shape_repr({edge_index.shape(), edge_index.shape() + edge_index.ndim()}));
             const py::ssize_t e = edge_index.shape(1);
             auto flat = py::array::ensure(edge_index.attr("reshape")(2 * e));
             const std::vector<int64_t> v = to_int64_vector(flat, "edge_index");
             return Graph::from_edges(v, num_nodes);
           }),
           py::arg("edge_index"), py::arg("num_nodes"))
      .def_property_readonly("num_nodes", &Graph::num_nodes)
      .def_property_readonly("num_edges", &Graph::num_edges)
      .def("add_self_loops", &Graph::add_self_loops, "Every self-loop dropped, then one per node added (PyG's GATConv).")
      .def("remove_self_loops", &Graph::remove_self_loops)
      .def("in_degrees", [](const Graph& g) { return py::array(py::cast(g.in_degrees())); })
      .def_property_readonly("edge_index", [](const Graph& g) {
        // [2, E] int64 in the graph's edge order (grouped by destination), the order of its per-edge tensors.
        py::array_t<int64_t> out({py::ssize_t{2}, static_cast<py::ssize_t>(g.num_edges())});
        auto o = out.mutable_unchecked<2>();
        for (int64_t e = 0; e < g.num_edges(); ++e) o(0, e) = g.src()[e], o(1, e) = g.dst()[e];
        return out;
      })
      .def_property_readonly("edge_origin", [](const Graph& g) { return int64_array(g.edge_origin()); },
                             "Position of each edge in the edge list the graph was built from.")
      .def("__repr__", [](const Graph& g) {
        return "gatgrad.Graph(" + std::to_string(g.num_src_nodes()) + " nodes, " + std::to_string(g.num_edges()) + " edges)";
      });

  m.def("gather", [](const Tensor& x, const Graph& g, const std::string& end) { return gather(x, g, endpoint(end)); },
        py::arg("x"), py::arg("graph"), py::arg("end") = "src", "x [N, ...] -> [E, ...]: row e is x[src(e)] or x[dst(e)].");
  m.def("scatter_add", py::overload_cast<const Tensor&, const Graph&>(&scatter_add), py::arg("messages"), py::arg("graph"),
        "messages [E, ...] -> [N, ...]: out[i] = the sum over the edges arriving at i.");
  m.def("scatter_mean", py::overload_cast<const Tensor&, const Graph&>(&scatter_mean), py::arg("messages"), py::arg("graph"));
  m.def("scatter_max", py::overload_cast<const Tensor&, const Graph&>(&scatter_max), py::arg("messages"), py::arg("graph"));
  m.def("segment_softmax", py::overload_cast<const Tensor&, const Graph&>(&segment_softmax), py::arg("scores"), py::arg("graph"),
        "scores [E, H] -> softmax over each destination's incoming edges (torch_geometric.utils.softmax).");
  m.def("head_dot", &head_dot, py::arg("wh"), py::arg("a"));
  m.def("edge_add", &edge_add, py::arg("s_dst"), py::arg("s_src"), py::arg("graph"));
  m.def("aggregate", &aggregate, py::arg("alpha"), py::arg("wh"), py::arg("graph"));
  m.def("edges_in_input_order", &edges_in_input_order, py::arg("per_edge"), py::arg("graph"));
}

}  // namespace gatgrad::python
