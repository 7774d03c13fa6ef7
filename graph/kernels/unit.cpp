// One instruction-set unit of the graph kernels, compiled once per level like
// autograd/kernels/unit.cpp (see cmake/GatgradIsa.cmake); graph/kernels/table.cpp picks one.
#include "graph/kernels/attention.hpp"
#include "graph/kernels/message_passing.hpp"
#include "graph/kernels/pair_rows.hpp"

namespace gatgrad::GATGRAD_ISA_NS {

template <class T>
const graph_kernels::Kernels<T>& graph_kernels();

template <class T>
constexpr graph_kernels::Kernels<T> make_graph_table() {
  return graph_kernels::Kernels<T>{
      GATGRAD_STRINGIFY(GATGRAD_ISA_NS),
      &graph::head_dot_rows<T>,
      &graph::head_dot_backward_rows<T>,
      &graph::head_dot_backward_sum<T>,
      &graph::segment_softmax<T>,
      &graph::segment_softmax_backward<T>,
      &graph::segment_sum<T>,
      &graph::aggregate<T>,
      &graph::aggregate_backward_alpha<T>,
      &graph::aggregate_backward_wh<T>,
      &graph::attention_forward<T>,
      &graph::attention_targets<T>,
      &graph::attention_sources<T>,
      &graph::pair_dot_rows<T>,
      &graph::pair_grad_rows<T>,
  };
}

constexpr graph_kernels::Kernels<float> kGraphF32 = make_graph_table<float>();
constexpr graph_kernels::Kernels<double> kGraphF64 = make_graph_table<double>();

template <>
const graph_kernels::Kernels<float>& graph_kernels<float>() {
  return kGraphF32;
}
template <>
const graph_kernels::Kernels<double>& graph_kernels<double>() {
  return kGraphF64;
}

}  // namespace gatgrad::GATGRAD_ISA_NS
