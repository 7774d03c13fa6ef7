// What the graph ops (baseline code) need to call the graph kernels: a Graph's arrays as the
// kernels read them, and the blocks of nodes the kernels run on.
#pragma once
#include "autograd/parallel.hpp"
#include "graph/graph.hpp"
#include "graph/kernels/table.hpp"

namespace gatgrad::graph_kernels {

inline GraphArrays arrays_of(const Graph& g) {
  return GraphArrays{g.num_dst_nodes(), g.num_src_nodes(), g.num_edges(),        g.dst_ptr().data(),
                     g.src().data(),     g.src_ptr().data(),  g.src_perm().data(), g.src_grouped_dst().data()};
}

// body(v0, v1) for the blocks of kNodeBlock nodes of [0, n), in parallel.
template <class Body>
void for_node_blocks(int64_t n, Body&& body) {
  parallel_blocks(n, kNodeBlock, body);
}

}  // namespace gatgrad::graph_kernels
