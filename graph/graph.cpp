// Graph construction: two stable counting sorts, O(E + N).
//   1. edges by destination: perm = edge_origin, dst_ptr from the in-degree prefix sum;
//   2. dst-ordered edges by source: src_perm (ascending inside each source, being stable),
//      then the targets in that order, src_grouped_dst.
// A large sort runs as P chunks of the keys: each chunk counts its keys, the per-(group, chunk)
// counts become write offsets in (group, chunk) order, and each chunk scatters its own keys.
// Stability fixes the output completely, so the chunking never shows in the result.
#include "graph/graph.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "autograd/error.hpp"
#include "autograd/parallel.hpp"

namespace gatgrad {

namespace {

constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();  // N and E stay below 2^31
constexpr int64_t kSortChunk = int64_t{1} << 18;  // keys per chunk of a parallel sort

void check_sizes(int64_t num_edges, int64_t num_nodes) {
  if (num_nodes <= 0)
    throw DataError("Graph::from_edges: num_nodes must be positive, got " + std::to_string(num_nodes));
  if (num_nodes > kMaxIndex)
    throw DataError("Graph::from_edges: " + std::to_string(num_nodes) +
                    " nodes do not fit 32-bit node ids (at most 2^31 - 1)");
  if (num_edges > kMaxIndex)
    throw DataError("Graph::from_edges: " + std::to_string(num_edges) +
                    " edges do not fit 32-bit edge ids (at most 2^31 - 1)");
}

// The first edge k (smallest position) whose endpoint is outside [0, N), or -1. Parallel per
// block; the earliest block with a bad edge wins, so the reported edge is always the first.
template <class I>
int64_t first_bad_edge(const I* src, const I* dst, int64_t num_edges, int64_t num_nodes) {
  const int64_t block = kBlock * 4;
  const int64_t nblocks = (num_edges + block - 1) / block;
  std::vector<int64_t> first(static_cast<size_t>(std::max<int64_t>(nblocks, 1)), -1);
  parallel_blocks(num_edges, block, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      if (src[k] < 0 || src[k] >= num_nodes || dst[k] < 0 || dst[k] >= num_nodes) {
        first[static_cast<size_t>(b / block)] = k;
        return;
      }
  });
  for (int64_t k : first)
    if (k >= 0) return k;
  return -1;
}

template <class I>
void check_edges(const I* src, const I* dst, int64_t num_edges, int64_t num_nodes) {
  const int64_t k = first_bad_edge(src, dst, num_edges, num_nodes);
  if (k < 0) return;
  const bool bad_src = src[k] < 0 || src[k] >= num_nodes;
  throw DataError("Graph::from_edges: edge " + std::to_string(k) + ": " +
                  (bad_src ? "source" : "target") + " index " +
                  std::to_string(bad_src ? src[k] : dst[k]) + " is out of range for " +
                  std::to_string(num_nodes) + " nodes");
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
  static const GraphData empty{0, {0}, {}, {}, {0}, {}, {}, {}, false};
  return empty;
}

Graph Graph::build(const int32_t* src, const int32_t* dst, int64_t num_edges, int64_t num_nodes) {
  auto d = std::make_shared<GraphData>();
  d->num_nodes = num_nodes;
  Grouping by_dst = group_by(dst, num_edges, num_nodes);
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
  Grouping by_src = group_by(d->src.data(), num_edges, num_nodes);
  d->src_ptr = std::move(by_src.ptr);
  d->src_perm = std::move(by_src.perm);
  d->src_grouped_dst.resize(static_cast<size_t>(num_edges));
  parallel_blocks(num_edges, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      d->src_grouped_dst[static_cast<size_t>(p)] = d->dst[static_cast<size_t>(d->src_perm[static_cast<size_t>(p)])];
    }
  });
  // Nodes with exactly one edge i -> i among their incoming edges: all of them, or not.
  const int64_t looped_once = deterministic_sum<int64_t>(num_nodes, kBlock, [&](int64_t b, int64_t e) {
    int64_t nodes = 0;
    for (int64_t i = b; i < e; ++i) {
      int64_t loops = 0;
      for (int64_t k = d->dst_ptr[static_cast<size_t>(i)]; k < d->dst_ptr[static_cast<size_t>(i) + 1]; ++k)
        loops += d->src[static_cast<size_t>(k)] == i;
      nodes += loops == 1;
    }
    return nodes;
  });
  d->one_self_loop_per_node = looped_once == num_nodes;
  return Graph(std::move(d));
}

Graph Graph::from_edges(const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                        int64_t num_nodes) {
  if (src.size() != dst.size())
    throw DataError("Graph::from_edges: " + std::to_string(src.size()) + " sources but " +
                    std::to_string(dst.size()) + " targets");
  const int64_t num_edges = static_cast<int64_t>(src.size());
  check_sizes(num_edges, num_nodes);
  check_edges(src.data(), dst.data(), num_edges, num_nodes);
  return build(src.data(), dst.data(), num_edges, num_nodes);
}

Graph Graph::from_edges(const std::vector<int64_t>& edge_index, int64_t num_nodes) {
  if (edge_index.size() % 2)
    throw DataError("Graph::from_edges: edge_index has " + std::to_string(edge_index.size()) +
                    " values, not 2 rows of equal length");
  const int64_t num_edges = static_cast<int64_t>(edge_index.size() / 2);
  check_sizes(num_edges, num_nodes);
  const int64_t* src = edge_index.data();
  const int64_t* dst = src + num_edges;
  check_edges(src, dst, num_edges, num_nodes);
  std::vector<int32_t> s(static_cast<size_t>(num_edges)), t(static_cast<size_t>(num_edges));
  parallel_blocks(num_edges, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      s[static_cast<size_t>(k)] = static_cast<int32_t>(src[k]);
      t[static_cast<size_t>(k)] = static_cast<int32_t>(dst[k]);
    }
  });
  return build(s.data(), t.data(), num_edges, num_nodes);
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

Graph Graph::remove_self_loops() const {
  auto [s, t] = input_edges();
  size_t kept = 0;
  for (size_t k = 0; k < s.size(); ++k)
    if (s[k] != t[k]) {
      s[kept] = s[k];
      t[kept] = t[k];
      ++kept;
    }
  s.resize(kept);
  t.resize(kept);
  return build(s.data(), t.data(), static_cast<int64_t>(kept), num_nodes());
}

Graph Graph::add_self_loops() const {
  auto [s, t] = input_edges();
  const int64_t n = num_nodes();
  size_t kept = 0;
  for (size_t k = 0; k < s.size(); ++k)
    if (s[k] != t[k]) {
      s[kept] = s[k];
      t[kept] = t[k];
      ++kept;
    }
  s.resize(kept + static_cast<size_t>(n));
  t.resize(kept + static_cast<size_t>(n));
  for (int64_t v = 0; v < n; ++v) s[kept + static_cast<size_t>(v)] = t[kept + static_cast<size_t>(v)] = static_cast<int32_t>(v);
  check_sizes(static_cast<int64_t>(s.size()), n);
  return build(s.data(), t.data(), static_cast<int64_t>(s.size()), n);
}

std::vector<int64_t> Graph::in_degrees() const {
  std::vector<int64_t> deg(static_cast<size_t>(num_nodes()));
  for (int64_t i = 0; i < num_nodes(); ++i) deg[static_cast<size_t>(i)] = in_degree(i);
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
