// make_motif_graphs: the "red edge" graph-classification set (synthetic_motifs.hpp).
#include "graph/synthetic_motifs.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/kernels/table.hpp"
#include "autograd/random.hpp"
#include "graph/graph_index.hpp"

namespace gatgrad {

namespace {

enum Stream : uint64_t { kSize = 301, kTree, kExtra, kMarked, kColour, kNoise };

// Draw k of a graph's stream (graph g, draw k): a 64-bit hash.
uint64_t draw(uint64_t seed, Stream s, int64_t g, uint64_t k) {
  return hash64(derive_key(derive_key(seed, s), static_cast<uint64_t>(g)), k);
}

// The undirected edges of graph g on n nodes: a random tree plus extra random pairs.
std::set<std::pair<int32_t, int32_t>> random_edges(const MotifGraphOptions& o, int64_t g, int64_t n) {
  std::set<std::pair<int32_t, int32_t>> edges;  // (smaller, larger)
  for (int64_t v = 1; v < n; ++v) {
    const auto u = static_cast<int32_t>(uniform_below(draw(o.seed, kTree, g, static_cast<uint64_t>(v)), static_cast<uint64_t>(v)));
    edges.insert({u, static_cast<int32_t>(v)});
  }
  const int64_t possible = n * (n - 1) / 2;
  const int64_t want = std::min<int64_t>(static_cast<int64_t>(edges.size()) + o.extra_edges, possible);
  for (uint64_t k = 0; static_cast<int64_t>(edges.size()) < want; k += 2) {
    auto a = static_cast<int32_t>(uniform_below(draw(o.seed, kExtra, g, k), static_cast<uint64_t>(n)));
    auto b = static_cast<int32_t>(uniform_below(draw(o.seed, kExtra, g, k + 1), static_cast<uint64_t>(n)));
    if (a == b) continue;
    edges.insert({std::min(a, b), std::max(a, b)});
  }
  return edges;
}

// The red nodes of graph g: `marked` nodes, exactly one adjacent pair among them (class 1) or
// none (class 0), drawn by rejection from uniform sets (a seed the tries run through).
std::vector<int32_t> red_nodes(const MotifGraphOptions& o, int64_t g, int64_t n, bool red_edge,
                               const std::set<std::pair<int32_t, int32_t>>& edges) {
  auto adjacent = [&](int32_t a, int32_t b) { return edges.count({std::min(a, b), std::max(a, b)}) > 0; };
  uint64_t k = 0;
  for (int64_t attempt = 0; attempt < 100000; ++attempt) {
    std::vector<int32_t> red;
    if (red_edge) {  // start from a uniform edge, then add non-adjacent nodes
      auto it = edges.begin();
      std::advance(it, static_cast<int64_t>(uniform_below(draw(o.seed, kMarked, g, k++), edges.size())));
      red = {it->first, it->second};
    }
    bool ok = true;
    while (ok && static_cast<int64_t>(red.size()) < o.marked) {
      const auto v = static_cast<int32_t>(uniform_below(draw(o.seed, kMarked, g, k++), static_cast<uint64_t>(n)));
      for (int32_t r : red) ok = ok && r != v && !adjacent(r, v);
      red.push_back(v);
    }
    if (ok) return red;
  }
  throw UsageError("make_motif_graphs: graph " + std::to_string(g) + " has no room for " + std::to_string(o.marked) +
                   " red nodes as its class needs (raise min_nodes or lower extra_edges)");
}

}  // namespace

Dataset make_motif_graphs(const MotifGraphOptions& o) {
  if (o.num_graphs < 2) throw UsageError("make_motif_graphs: needs at least 2 graphs");
  if (o.marked < 2) throw UsageError("make_motif_graphs: needs at least 2 red nodes per graph");
  if (o.min_nodes < 2 * o.marked + 2 || o.max_nodes < o.min_nodes)
    throw UsageError("make_motif_graphs: graph sizes must satisfy 2 · marked + 2 <= min_nodes <= max_nodes");
  if (o.extra_edges < 0 || o.noise_features < 0) throw UsageError("make_motif_graphs: negative counts");
  Dataset d;
  d.name = "motif graphs";
  d.num_features = 3 + o.noise_features;
  d.num_classes = 2;
  for (int64_t g = 0; g < o.num_graphs; ++g) {
    const int64_t n = o.min_nodes + static_cast<int64_t>(uniform_below(draw(o.seed, kSize, g, 0),
                                                                       static_cast<uint64_t>(o.max_nodes - o.min_nodes + 1)));
    const bool red_edge = g % 2 == 1;
    const auto edges = random_edges(o, g, n);
    const std::vector<int32_t> red = red_nodes(o, g, n, red_edge, edges);
    const auto base = static_cast<int32_t>(d.num_nodes);
    for (const auto& [a, b] : edges) {
      d.src.insert(d.src.end(), {base + a, base + b});
      d.dst.insert(d.dst.end(), {base + b, base + a});
    }
    for (int64_t v = 0; v < n; ++v) {
      std::vector<float> row(static_cast<size_t>(d.num_features), 0.0f);
      const bool is_red = std::find(red.begin(), red.end(), static_cast<int32_t>(v)) != red.end();
      const uint64_t other = uniform_below(draw(o.seed, kColour, g, static_cast<uint64_t>(v)), 2);
      row[is_red ? 0 : 1 + other] = 1.0f;
      if (o.noise_features > 0)
        kernels::float_table().add_normals(derive_key(derive_key(o.seed, kNoise), static_cast<uint64_t>(g)),
                                           v * o.noise_features, row.data() + 3, o.noise_features);
      d.x_dense.insert(d.x_dense.end(), row.begin(), row.end());
      d.graph_index.push_back(static_cast<int32_t>(g));
    }
    d.num_nodes += n;
    d.graph_labels.push_back(red_edge ? 1 : 0);
  }
  check_graph_index(d, GraphIndexSources{});
  return d;
}

}  // namespace gatgrad
