// gather and scatter_{add, mean, max}: rows moved between nodes and edges.
// Legend: x [N, D] node rows, m [E, D] edge rows (D = the trailing axes flattened), index[e] the
// node of edge e, seg(v) = the edges with index v (a contiguous dst segment, the source grouping
// src_ptr / src_perm, or a counting-sort grouping of a user's index).
//   gather:       y[e] = x[index[e]]                 dx[v] += Σ_{e in seg(v)} dy[e]
//   scatter_add:  y[v] = Σ_{e in seg(v)} m[e]         dm[e] += dy[index[e]]
//   scatter_mean: y[v] = Σ_{e in seg(v)} m[e] / |seg(v)|   dm[e] += dy[index[e]] / |seg(index[e])|
//   scatter_max:  y[v,d] = max_{e in seg(v)} m[e,d]   dm[e*,d] += dy[v,d], e* the first argmax
// Empty segments give 0. The backward of a gather is a segment sum that each node computes for
// itself, the backward of a scatter is a gather: neither needs atomics.
#include <cstring>
#include <limits>
#include <string>

#include "autograd/error.hpp"
#include "graph/message_passing.hpp"
#include "graph/kernels/calls.hpp"

namespace gatgrad {
using namespace graph_kernels;

namespace {

// Edge e belongs to node index[e]; seg groups the edges by that node. `owner` keeps the arrays
// alive for as long as a backward closure may need them.
struct EdgeIndex {
  std::shared_ptr<const void> owner;
  const int32_t* index = nullptr;  // [E]
  SegmentsView seg{nullptr, nullptr, 0};
  int64_t num_edges = 0;
};

EdgeIndex graph_index(const Graph& g, Endpoint end) {
  auto owner = std::make_shared<Graph>(g);
  EdgeIndex ix;
  ix.num_edges = g.num_edges();
  if (end == Endpoint::dst) {
    ix.index = owner->dst().data();
    ix.seg = {owner->dst_ptr().data(), nullptr, g.num_dst_nodes()};
  } else {
    ix.index = owner->src().data();
    ix.seg = {owner->src_ptr().data(), owner->src_perm().data(), g.num_src_nodes()};
  }
  ix.owner = std::move(owner);
  return ix;
}

struct UserIndex {
  std::vector<int32_t> index;
  Grouping grouping;
};

// A user's index, checked against [0, num_nodes) and grouped by node.
EdgeIndex user_index(const char* op, const std::vector<int32_t>& index, int64_t num_nodes) {
  for (size_t e = 0; e < index.size(); ++e)
    if (index[e] < 0 || index[e] >= num_nodes)
      throw DataError(std::string(op) + ": index " + std::to_string(index[e]) + " at position " +
                      std::to_string(e) + " is out of range for " + std::to_string(num_nodes) + " nodes");
  auto u = std::make_shared<UserIndex>();
  u->index = index;
  u->grouping = group_by(u->index.data(), static_cast<int64_t>(index.size()), num_nodes);
  EdgeIndex ix;
  ix.index = u->index.data();
  ix.seg = {u->grouping.ptr.data(), u->grouping.perm.data(), num_nodes};
  ix.num_edges = static_cast<int64_t>(index.size());
  ix.owner = std::move(u);
  return ix;
}

int64_t row_width(const Tensor& t) { return t.size(0) ? t.numel() / t.size(0) : 0; }

Shape with_rows(const Shape& s, int64_t rows) {
  Shape out = s;
  out[0] = rows;
  return out;
}

void check_rows(const char* op, const Tensor& t, int64_t rows, const char* what) {
  if (t.dim() < 1 || t.size(0) != rows)
    throw Error(std::string(op) + ": expected " + std::to_string(rows) + " rows (" + what + "), got " +
                t.describe());
}

// out[v, :] (=, +=) Σ_{edges e of v} m[e, :], by the segment-sum kernel.
template <class T>
void segment_sum(const T* m, const SegmentsView& seg, int64_t D, bool accumulate, T* out) {
  const auto kernel = table<T>().segment_sum;
  for_node_blocks(seg.count, [&](int64_t v0, int64_t v1) { kernel(m, seg, D, accumulate, out, v0, v1, &thread_scratch); });
}

// y = x[index] (the gather of every form).
Tensor gather_impl(const char* op, const Tensor& x, const EdgeIndex& ix) {
  const int64_t D = row_width(x);
  Tensor y = Tensor::empty(with_rows(x.shape(), ix.num_edges), x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_blocks(ix.num_edges, std::max<int64_t>(1, kBlock / std::max<int64_t>(D, 1)), [&](int64_t e0, int64_t e1) {
      for (int64_t e = e0; e < e1; ++e)
        std::memcpy(py + e * D, px + static_cast<int64_t>(ix.index[e]) * D, static_cast<size_t>(D) * sizeof(T));
    });
  });
  if (any_requires_grad({&x}))
    record(op, y, [x, ix, D](const Tensor& dy) {
      dispatch(x.dtype(), [&]<class T>() {
        segment_sum<T>(dy.data<T>(), ix.seg, D, true, x.grad_accum().template data<T>());
      });
    });
  return y;
}

enum class Reduce { add, mean, max };

// dm[e, :] += dy[index[e], :] * (mean ? 1 / |seg(index[e])| : 1)
template <class T>
void scatter_backward(const T* dy, const EdgeIndex& ix, int64_t D, bool mean, T* dm) {
  parallel_blocks(ix.num_edges, std::max<int64_t>(1, kBlock / std::max<int64_t>(D, 1)), [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) {
      const int64_t v = ix.index[e];
      const T scale = mean ? T(1) / static_cast<T>(ix.seg.ptr[v + 1] - ix.seg.ptr[v]) : T(1);
      for (int64_t d = 0; d < D; ++d) dm[e * D + d] += mean ? dy[v * D + d] * scale : dy[v * D + d];
    }
  });
}

Tensor scatter_impl(const char* op, Reduce kind, const Tensor& m, const EdgeIndex& ix) {
  check_rows(op, m, ix.num_edges, "one per edge");
  const int64_t D = row_width(m);
  const int64_t N = ix.seg.count;
  Tensor y = Tensor::empty(with_rows(m.shape(), N), m.dtype());
  // For max: the edge whose value won, per (node, column); -1 for an empty segment.
  auto argmax = std::make_shared<std::vector<int32_t>>(kind == Reduce::max ? static_cast<size_t>(N * D) : 0);
  dispatch(m.dtype(), [&]<class T>() {
    const T* pm = m.data<T>();
    T* py = y.data<T>();
    if (kind != Reduce::max) {
      segment_sum<T>(pm, ix.seg, D, false, py);
      if (kind == Reduce::mean)
        parallel_blocks(N, kNodeBlock, [&](int64_t v0, int64_t v1) {
          for (int64_t v = v0; v < v1; ++v) {
            const int64_t deg = ix.seg.ptr[v + 1] - ix.seg.ptr[v];
            if (deg > 1) {
              const T inv = T(1) / static_cast<T>(deg);
              for (int64_t d = 0; d < D; ++d) py[v * D + d] *= inv;
            }
          }
        });
      return;
    }
    int32_t* am = argmax->data();
    parallel_blocks(N, kNodeBlock, [&](int64_t v0, int64_t v1) {
      for (int64_t v = v0; v < v1; ++v) {
        T* row = py + v * D;
        int32_t* arg = am + v * D;
        if (ix.seg.ptr[v] == ix.seg.ptr[v + 1]) {
          std::fill(row, row + D, T(0));
          std::fill(arg, arg + D, -1);
          continue;
        }
        auto edge = [&](int64_t p) { return ix.seg.perm ? ix.seg.perm[p] : static_cast<int32_t>(p); };
        const int32_t first = edge(ix.seg.ptr[v]);
        std::copy(pm + int64_t{first} * D, pm + int64_t{first} * D + D, row);
        std::fill(arg, arg + D, first);
        for (int64_t p = ix.seg.ptr[v] + 1; p < ix.seg.ptr[v + 1]; ++p) {
          const int32_t e = edge(p);
          const T* me = pm + int64_t{e} * D;
          for (int64_t d = 0; d < D; ++d)
            if (me[d] > row[d]) {
              row[d] = me[d];
              arg[d] = e;
            }
        }
      }
    });
  });
  if (any_requires_grad({&m}))
    record(op, y, [m, ix, D, kind, argmax](const Tensor& dy) {
      dispatch(m.dtype(), [&]<class T>() {
        T* dm = m.grad_accum().template data<T>();
        const T* g = dy.data<T>();
        if (kind != Reduce::max) {
          scatter_backward(g, ix, D, kind == Reduce::mean, dm);
          return;
        }
        // Each node adds into the rows of its own edges only.
        const int32_t* am = argmax->data();
        parallel_blocks(ix.seg.count, kNodeBlock, [&](int64_t v0, int64_t v1) {
          for (int64_t k = v0 * D; k < v1 * D; ++k)
            if (am[k] >= 0) dm[int64_t{am[k]} * D + k % D] += g[k];
        });
      });
    });
  return y;
}

}  // namespace

Tensor gather(const Tensor& x, const Graph& g, Endpoint end) {
  // a block's sources send (S rows), its destinations receive (D rows); square: both N
  check_rows("gather", x, end == Endpoint::src ? g.num_src_nodes() : g.num_dst_nodes(),
             end == Endpoint::src ? "one per source node" : "one per destination node");
  return gather_impl("gather", x, graph_index(g, end));
}

Tensor gather(const Tensor& x, const std::vector<int32_t>& index) {
  if (x.dim() < 1) throw Error("gather: needs at least 1 axis, got " + x.describe());
  return gather_impl("gather", x, user_index("gather", index, x.size(0)));
}

Tensor scatter_add(const Tensor& m, const Graph& g) {
  return scatter_impl("scatter_add", Reduce::add, m, graph_index(g, Endpoint::dst));
}
Tensor scatter_mean(const Tensor& m, const Graph& g) {
  return scatter_impl("scatter_mean", Reduce::mean, m, graph_index(g, Endpoint::dst));
}
Tensor scatter_max(const Tensor& m, const Graph& g) {
  return scatter_impl("scatter_max", Reduce::max, m, graph_index(g, Endpoint::dst));
}

Tensor scatter_add(const Tensor& m, const std::vector<int32_t>& index, int64_t num_nodes) {
  return scatter_impl("scatter_add", Reduce::add, m, user_index("scatter_add", index, num_nodes));
}
Tensor scatter_mean(const Tensor& m, const std::vector<int32_t>& index, int64_t num_nodes) {
  return scatter_impl("scatter_mean", Reduce::mean, m, user_index("scatter_mean", index, num_nodes));
}
Tensor scatter_max(const Tensor& m, const std::vector<int32_t>& index, int64_t num_nodes) {
  return scatter_impl("scatter_max", Reduce::max, m, user_index("scatter_max", index, num_nodes));
}

Tensor edges_in_input_order(const Tensor& per_edge, const Graph& g) {
  check_rows("edges_in_input_order", per_edge, g.num_edges(), "one per edge");
  const int64_t D = row_width(per_edge);
  Tensor y = Tensor::empty(per_edge.shape(), per_edge.dtype());
  dispatch(per_edge.dtype(), [&]<class T>() {
    const T* x = per_edge.data<T>();
    T* py = y.data<T>();
    const int32_t* origin = g.edge_origin().data();
    parallel_blocks(g.num_edges(), std::max<int64_t>(1, kBlock / std::max<int64_t>(D, 1)), [&](int64_t e0, int64_t e1) {
      for (int64_t e = e0; e < e1; ++e)
        std::memcpy(py + int64_t{origin[e]} * D, x + e * D, static_cast<size_t>(D) * sizeof(T));
    });
  });
  return y;
}

}  // namespace gatgrad
