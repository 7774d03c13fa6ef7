// Graph construction: two stable counting sorts, O(E + N).
//   1. edges by destination: perm = edge_origin, dst_ptr from the in-degree prefix sum;
//   2. dst-ordered edges by source: src_perm (ascending inside each source, being stable),
//      then the targets in that order, src_grouped_dst.
// A large sort runs as P chunks of the keys: each chunk counts its keys, the per-(group, chunk)
// counts become write offsets in (group, chunk) order, and each chunk scatters its own keys.
// Stability fixes the output completely, so the chunking never shows in the result.
#include "graph/graph.hpp"

#include "graph/adjacency_source.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "autograd/error.hpp"
#include "autograd/parallel.hpp"

namespace gatgrad {

namespace {

constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();  // S and E stay below 2^31
constexpr int64_t kSortChunk = int64_t{1} << 18;  // keys per chunk of a parallel sort

// What a factory validates against, and how its messages name things: a square graph's counts
// are "N nodes", a bipartite graph's "S source nodes" and "D destination nodes".
struct NodeCounts {
  const char* fn;  // "Graph::from_edges"
  int64_t num_src, num_dst;
  bool square;
  std::string nodes(bool source) const {
    return std::to_string(source ? num_src : num_dst) + (square ? " nodes" : source ? " source nodes" : " destination nodes");
  }
};

void check_sizes(const NodeCounts& c, int64_t num_edges) {
  const std::string fn = c.fn;
  if (c.num_dst <= 0)
    throw DataError(fn + ": " + (c.square ? "num_nodes" : "num_dst_nodes") + " must be positive, got " +
                    std::to_string(c.num_dst));
  if (c.num_dst > c.num_src)
    throw DataError(fn + ": num_dst_nodes = " + std::to_string(c.num_dst) + " exceeds num_src_nodes = " +
                    std::to_string(c.num_src) + " (the destinations are the first of the sources)");
  if (c.num_src > kMaxIndex)
    throw DataError(fn + ": " + c.nodes(true) + " do not fit 32-bit node ids (at most 2^31 - 1)");
  if (num_edges > kMaxIndex)
    throw DataError(fn + ": " + std::to_string(num_edges) + " edges do not fit 32-bit edge ids (at most 2^31 - 1)");
}

// The smallest k in [0, n) with bad(k), or -1. Parallel per block; the earliest block with a
// hit wins, so the reported position is always the first.
template <class Bad>
int64_t first_bad(int64_t n, Bad&& bad) {
  const int64_t block = kBlock * 4;
  const int64_t nblocks = (n + block - 1) / block;
  std::vector<int64_t> first(static_cast<size_t>(std::max<int64_t>(nblocks, 1)), -1);
  parallel_blocks(n, block, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      if (bad(k)) {
        first[static_cast<size_t>(b / block)] = k;
        return;
      }
  });
  for (int64_t k : first)
    if (k >= 0) return k;
  return -1;
}

// Throws DataError naming the first edge k whose source is outside [0, S) or whose target
// (dst != nullptr) is outside [0, D).
template <class I>
void check_edges(const NodeCounts& c, const I* src, const I* dst, int64_t num_edges) {
  auto bad_src = [&](int64_t k) { return src[k] < 0 || src[k] >= c.num_src; };
  auto bad_dst = [&](int64_t k) { return dst && (dst[k] < 0 || dst[k] >= c.num_dst); };
  const int64_t k = first_bad(num_edges, [&](int64_t e) { return bad_src(e) || bad_dst(e); });
  if (k < 0) return;
  const bool source = bad_src(k);
  throw DataError(std::string(c.fn) + ": edge " + std::to_string(k) + ": " + (source ? "source" : "target") +
                  " index " + std::to_string(source ? src[k] : dst[k]) + " is out of range for " + c.nodes(source));
}

// Throws DataError unless ptr [D+1] starts at 0, never decreases and ends at num_edges.
void check_ptr(const char* fn, const std::vector<int64_t>& ptr, int64_t num_edges) {
  const std::string f = fn;
  if (ptr.empty()) throw DataError(f + ": dst_ptr is empty (it holds D + 1 entries for D destinations)");
  if (ptr[0] != 0) throw DataError(f + ": dst_ptr[0] = " + std::to_string(ptr[0]) + ", must be 0");
  const int64_t n = static_cast<int64_t>(ptr.size()) - 1;
  const int64_t i = first_bad(n, [&](int64_t k) { return ptr[static_cast<size_t>(k + 1)] < ptr[static_cast<size_t>(k)]; });
  if (i >= 0)
    throw DataError(f + ": dst_ptr[" + std::to_string(i + 1) + "] = " + std::to_string(ptr[static_cast<size_t>(i + 1)]) +
                    " is below dst_ptr[" + std::to_string(i) + "] = " + std::to_string(ptr[static_cast<size_t>(i)]));
  if (ptr.back() != num_edges)
    throw DataError(f + ": dst_ptr[" + std::to_string(n) + "] = " + std::to_string(ptr.back()) + " but there are " +
                    std::to_string(num_edges) + " sources (one per edge)");
}

}  // namespace

Grouping group_by(const int32_t* keys, int64_t n, int64_t num_groups) {
  Grouping g;
  g.ptr.assign(static_cast<size_t>(num_groups + 1), 0);
  g.perm.resize(static_cast<size_t>(n));
  int64_t* ptr = g.ptr.data();
  int32_t* perm = g.perm.data();
  // Chunks: enough keys each to pay for their own count array of num_groups entries.
  int64_t chunks = std::min<int64_t>(8, n / kSortChunk);
  chunks = std::min<int64_t>(chunks, 8 * n / std::max<int64_t>(num_groups, 1));
  if (chunks <= 1) {
    for (int64_t k = 0; k < n; ++k) ptr[keys[k] + 1]++;
    for (int64_t v = 0; v < num_groups; ++v) ptr[v + 1] += ptr[v];
    std::vector<int64_t> cursor(g.ptr.begin(), g.ptr.end() - 1);
    for (int64_t k = 0; k < n; ++k) perm[cursor[static_cast<size_t>(keys[k])]++] = static_cast<int32_t>(k);
    return g;
  }
  const int64_t chunk_len = (n + chunks - 1) / chunks;
  // count[c * G + v]: keys equal to v in chunk c; later, where chunk c writes its first v.
  std::vector<int32_t> count(static_cast<size_t>(chunks * num_groups), 0);
  parallel_blocks(chunks, 1, [&](int64_t c, int64_t) {
    int32_t* cnt = count.data() + c * num_groups;
    const int64_t end = std::min(n, (c + 1) * chunk_len);
    for (int64_t k = c * chunk_len; k < end; ++k) cnt[keys[k]]++;
  });
  parallel_blocks(num_groups, kBlock, [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v) {
      int32_t run = 0;
      for (int64_t c = 0; c < chunks; ++c) {
        int32_t& x = count[static_cast<size_t>(c * num_groups + v)];
        const int32_t here = x;
        x = run;
        run += here;
      }
      ptr[v + 1] = run;
    }
  });
  for (int64_t v = 0; v < num_groups; ++v) ptr[v + 1] += ptr[v];
  parallel_blocks(chunks, 1, [&](int64_t c, int64_t) {
    int32_t* cursor = count.data() + c * num_groups;
    const int64_t end = std::min(n, (c + 1) * chunk_len);
    for (int64_t k = c * chunk_len; k < end; ++k) {
      const int32_t v = keys[k];
      perm[ptr[v] + cursor[v]++] = static_cast<int32_t>(k);
    }
  });
  return g;
}

const GraphData& Graph::empty_data() {
  static const GraphData empty{0, 0, {0}, {}, {}, {0}, {}, {}, {}, false};
  return empty;
}

void Graph::throw_not_square() const {
  throw Error("Graph::num_nodes: this graph is bipartite (" + std::to_string(d_->num_src_nodes) + " source nodes, " +
              std::to_string(d_->num_dst_nodes) + " destination nodes) and has no single node count; "
              "use num_src_nodes() or num_dst_nodes()");
}

void Graph::group_by_source(GraphData& d) {
  const int64_t num_edges = static_cast<int64_t>(d.src.size());
  Grouping by_src = group_by(d.src.data(), num_edges, d.num_src_nodes);
  d.src_ptr = std::move(by_src.ptr);
  d.src_perm = std::move(by_src.perm);
  d.src_grouped_dst.resize(static_cast<size_t>(num_edges));
  parallel_blocks(num_edges, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p)
      d.src_grouped_dst[static_cast<size_t>(p)] = d.dst[static_cast<size_t>(d.src_perm[static_cast<size_t>(p)])];
  });
  // Destinations with exactly one edge i -> i among their incoming edges: all of them, or not.
  const int64_t looped_once = deterministic_sum<int64_t>(d.num_dst_nodes, kBlock, [&](int64_t b, int64_t e) {
    int64_t nodes = 0;
    for (int64_t i = b; i < e; ++i) {
      int64_t loops = 0;
      for (int64_t k = d.dst_ptr[static_cast<size_t>(i)]; k < d.dst_ptr[static_cast<size_t>(i) + 1]; ++k)
        loops += d.src[static_cast<size_t>(k)] == i;
      nodes += loops == 1;
    }
    return nodes;
  });
  d.one_self_loop_per_node = looped_once == d.num_dst_nodes;
}

Graph Graph::build(const int32_t* src, const int32_t* dst, int64_t num_edges, int64_t num_src_nodes,
                   int64_t num_dst_nodes) {
  auto d = std::make_shared<GraphData>();
  d->num_src_nodes = num_src_nodes;
  d->num_dst_nodes = num_dst_nodes;
  Grouping by_dst = group_by(dst, num_edges, num_dst_nodes);
  d->dst_ptr = std::move(by_dst.ptr);
  d->edge_origin = std::move(by_dst.perm);
  d->src.resize(static_cast<size_t>(num_edges));
  d->dst.resize(static_cast<size_t>(num_edges));
  parallel_blocks(num_edges, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int32_t o = d->edge_origin[static_cast<size_t>(k)];
      d->src[static_cast<size_t>(k)] = src[o];
      d->dst[static_cast<size_t>(k)] = dst[o];
    }
  });
  group_by_source(*d);
  return Graph(std::move(d));
}

Graph Graph::from_checked_edges(const char* fn, const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                                int64_t num_src_nodes, int64_t num_dst_nodes, bool square) {
  if (src.size() != dst.size())
    throw DataError(std::string(fn) + ": " + std::to_string(src.size()) + " sources but " +
                    std::to_string(dst.size()) + " targets");
  const int64_t num_edges = static_cast<int64_t>(src.size());
  const NodeCounts c{fn, num_src_nodes, num_dst_nodes, square};
  check_sizes(c, num_edges);
  check_edges(c, src.data(), dst.data(), num_edges);
  return build(src.data(), dst.data(), num_edges, num_src_nodes, num_dst_nodes);
}

Graph Graph::from_edges(const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                        int64_t num_nodes) {
  return from_checked_edges("Graph::from_edges", src, dst, num_nodes, num_nodes, true);
}

Graph Graph::from_bipartite_edges(const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                                  int64_t num_src_nodes, int64_t num_dst_nodes) {
  return from_checked_edges("Graph::from_bipartite_edges", src, dst, num_src_nodes, num_dst_nodes, false);
}

Graph Graph::from_csr(std::vector<int64_t> dst_ptr, std::vector<int32_t> src, int64_t num_src_nodes) {
  const int64_t num_edges = static_cast<int64_t>(src.size());
  const int64_t num_dst = static_cast<int64_t>(dst_ptr.size()) - 1;
  const NodeCounts c{"Graph::from_csr", num_src_nodes, num_dst, false};
  check_ptr(c.fn, dst_ptr, num_edges);
  check_sizes(c, num_edges);
  check_edges<int32_t>(c, src.data(), nullptr, num_edges);
  auto d = std::make_shared<GraphData>();
  d->num_src_nodes = num_src_nodes;
  d->num_dst_nodes = num_dst;
  d->dst_ptr = std::move(dst_ptr);
  d->src = std::move(src);
  d->dst.resize(static_cast<size_t>(num_edges));
  d->edge_origin.resize(static_cast<size_t>(num_edges));
  const int64_t* ptr = d->dst_ptr.data();
  parallel_blocks(num_dst, kBlock / 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e) {
        d->dst[static_cast<size_t>(e)] = static_cast<int32_t>(i);
        d->edge_origin[static_cast<size_t>(e)] = static_cast<int32_t>(e);
      }
  });
  group_by_source(*d);
  return Graph(std::move(d));
}

// A bare CSR for sampling (graph/adjacency_source.hpp), checked as from_csr checks its input.
CsrAdjacency::CsrAdjacency(std::vector<int64_t> dst_ptr, std::vector<int32_t> src)
    : dst_ptr_(std::move(dst_ptr)), src_(std::move(src)) {
  const int64_t num_edges = static_cast<int64_t>(src_.size()), n = static_cast<int64_t>(dst_ptr_.size()) - 1;
  const NodeCounts c{"CsrAdjacency", n, n, true};
  check_ptr(c.fn, dst_ptr_, num_edges);
  check_sizes(c, num_edges);
  check_edges<int32_t>(c, src_.data(), nullptr, num_edges);
}

Graph Graph::from_edges(const std::vector<int64_t>& edge_index, int64_t num_nodes) {
  if (edge_index.size() % 2)
    throw DataError("Graph::from_edges: edge_index has " + std::to_string(edge_index.size()) +
                    " values, not 2 rows of equal length");
  const int64_t num_edges = static_cast<int64_t>(edge_index.size() / 2);
  const NodeCounts c{"Graph::from_edges", num_nodes, num_nodes, true};
  check_sizes(c, num_edges);
  const int64_t* src = edge_index.data();
  const int64_t* dst = src + num_edges;
  check_edges(c, src, dst, num_edges);
  std::vector<int32_t> s(static_cast<size_t>(num_edges)), t(static_cast<size_t>(num_edges));
  parallel_blocks(num_edges, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      s[static_cast<size_t>(k)] = static_cast<int32_t>(src[k]);
      t[static_cast<size_t>(k)] = static_cast<int32_t>(dst[k]);
    }
  });
  return build(s.data(), t.data(), num_edges, num_nodes, num_nodes);
}

std::pair<std::vector<int32_t>, std::vector<int32_t>> Graph::input_edges() const {
  const int64_t num_edges = this->num_edges();
  std::vector<int32_t> s(static_cast<size_t>(num_edges)), t(static_cast<size_t>(num_edges));
  parallel_blocks(num_edges, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const size_t o = static_cast<size_t>(d_->edge_origin[static_cast<size_t>(k)]);
      s[o] = d_->src[static_cast<size_t>(k)];
      t[o] = d_->dst[static_cast<size_t>(k)];
    }
  });
  return {std::move(s), std::move(t)};
}

// Destination i's new segment: its edges that are not loops, in order, then i -> i if `add`;
// no sort, the destination grouping is already there. The new input list is the old one
// without its loops, then (if add) 0->0 .. D-1->D-1, so a kept edge's new origin is its old
// one minus the loops before it in the old input list:
//   loops_before [E+1]  loops_before[k] = #loops among input positions < k
Graph Graph::replace_self_loops(bool add) const {
  const GraphData& o = data();
  const int64_t S = num_src_nodes(), D = num_dst_nodes(), E = num_edges();
  std::vector<int64_t> loops_before(static_cast<size_t>(E + 1), 0);
  parallel_blocks(E, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      loops_before[static_cast<size_t>(o.edge_origin[static_cast<size_t>(k)]) + 1] =
          o.src[static_cast<size_t>(k)] == o.dst[static_cast<size_t>(k)];
  });
  for (int64_t k = 0; k < E; ++k) loops_before[static_cast<size_t>(k + 1)] += loops_before[static_cast<size_t>(k)];
  const int64_t kept = E - loops_before[static_cast<size_t>(E)], loops = add ? D : 0;
  if (add) check_sizes(NodeCounts{"Graph::add_self_loops", S, D, !is_bipartite()}, kept + loops);

  auto d = std::make_shared<GraphData>();
  d->num_src_nodes = S;
  d->num_dst_nodes = D;
  d->dst_ptr.assign(static_cast<size_t>(D + 1), 0);
  const int64_t* ptr = o.dst_ptr.data();
  const int32_t* src = o.src.data();
  constexpr int64_t kNodes = kBlock / 16;  // destinations per block (segments of ~10 edges)
  parallel_blocks(D, kNodes, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t n = add;
      for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e) n += src[e] != i;
      d->dst_ptr[static_cast<size_t>(i + 1)] = n;
    }
  });
  for (int64_t i = 0; i < D; ++i) d->dst_ptr[static_cast<size_t>(i + 1)] += d->dst_ptr[static_cast<size_t>(i)];
  d->src.resize(static_cast<size_t>(kept + loops));
  d->dst.resize(d->src.size());
  d->edge_origin.resize(d->src.size());
  parallel_blocks(D, kNodes, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      size_t out = static_cast<size_t>(d->dst_ptr[static_cast<size_t>(i)]);
      for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e) {
        if (src[e] == i) continue;
        const int32_t origin = o.edge_origin[static_cast<size_t>(e)];
        d->src[out] = src[e];
        d->dst[out] = static_cast<int32_t>(i);
        d->edge_origin[out++] = static_cast<int32_t>(origin - loops_before[static_cast<size_t>(origin)]);
      }
      if (add) {
        d->src[out] = d->dst[out] = static_cast<int32_t>(i);
        d->edge_origin[out] = static_cast<int32_t>(kept + i);
      }
    }
  });
  group_by_source(*d);
  return Graph(std::move(d));
}

Graph Graph::remove_self_loops() const { return replace_self_loops(false); }
Graph Graph::add_self_loops() const { return replace_self_loops(true); }

std::vector<int64_t> Graph::in_degrees() const {
  std::vector<int64_t> deg(static_cast<size_t>(num_dst_nodes()));
  for (int64_t i = 0; i < num_dst_nodes(); ++i) deg[static_cast<size_t>(i)] = in_degree(i);
  return deg;
}

int64_t Graph::num_self_loops() const {
  return deterministic_sum<int64_t>(num_edges(), kBlock, [&](int64_t b, int64_t e) {
    int64_t loops = 0;
    for (int64_t k = b; k < e; ++k) loops += d_->src[static_cast<size_t>(k)] == d_->dst[static_cast<size_t>(k)];
    return loops;
  });
}

}  // namespace gatgrad
