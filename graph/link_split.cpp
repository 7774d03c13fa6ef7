// split_links (graph/link_split.hpp): PyG's RandomLinkSplit for an undirected graph.
#include "graph/link_split.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "autograd/error.hpp"
#include "autograd/random.hpp"

namespace gatgrad {

namespace {

constexpr uint64_t kSplitStream = 0x6c696e6b73706c74ULL;  // "linksplt": the permutation's draws

uint64_t pair_code(int32_t u, int32_t v) { return (static_cast<uint64_t>(u) << 32) | static_cast<uint32_t>(v); }

// The dataset's directed edges as (pair_code(src, dst), edge id), sorted: the first entry of a
// code is the first edge with that direction. 16 bytes an edge (a hash map takes three times more).
using EdgeCodes = std::vector<std::pair<uint64_t, int64_t>>;

// The first dataset edge u -> v, or -1.
int64_t first_edge(const EdgeCodes& codes, int32_t u, int32_t v) {
  const uint64_t c = pair_code(u, v);
  const auto it = std::lower_bound(codes.begin(), codes.end(), std::pair<uint64_t, int64_t>{c, -1});
  return it != codes.end() && it->first == c ? it->second : -1;
}

// Both directions of each pair, in pair order (u -> v, then v -> u).
void add_both_directions(const NodePairs& pairs, MessageEdges& out) {
  for (int64_t k = 0; k < pairs.size(); ++k) {
    const int32_t u = pairs.src[static_cast<size_t>(k)], v = pairs.dst[static_cast<size_t>(k)];
    out.src.push_back(u);
    out.dst.push_back(v);
    out.src.push_back(v);
    out.dst.push_back(u);
  }
}

NodePairs take(const std::vector<uint64_t>& codes, size_t begin, size_t end) {
  NodePairs p;
  for (size_t k = begin; k < end; ++k) {
    p.src.push_back(static_cast<int32_t>(codes[k] >> 32));
    p.dst.push_back(static_cast<int32_t>(codes[k] & 0xffffffffu));
  }
  return p;
}

void append(NodePairs& to, const NodePairs& from) {
  to.src.insert(to.src.end(), from.src.begin(), from.src.end());
  to.dst.insert(to.dst.end(), from.dst.begin(), from.dst.end());
}

}  // namespace

LinkSplit split_links(const std::vector<int32_t>& src, const std::vector<int32_t>& dst, int64_t num_nodes,
                      double val_fraction, double test_fraction, uint64_t seed) {
  if (!(val_fraction >= 0 && val_fraction < 1) || !(test_fraction >= 0 && test_fraction < 1) ||
      !(val_fraction + test_fraction < 1))
    throw UsageError("link split: validation fraction " + std::to_string(val_fraction) + " and test fraction " +
                     std::to_string(test_fraction) + " must each be in [0, 1) and sum to less than 1");
  const EdgeSet all_edges(src, dst, num_nodes, /*both_directions=*/true);  // checks the endpoints

  // The undirected pairs u < v, once each, in increasing order.
  std::vector<uint64_t> codes;
  codes.reserve(src.size());
  for (size_t e = 0; e < src.size(); ++e)
    if (src[e] != dst[e]) codes.push_back(pair_code(std::min(src[e], dst[e]), std::max(src[e], dst[e])));
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());

  // PyG's cut: int(fraction * P) pairs each for validation and test, the rest trains.
  const size_t P = codes.size();
  const auto num_val = static_cast<size_t>(std::floor(val_fraction * static_cast<double>(P)));
  const auto num_test = static_cast<size_t>(std::floor(test_fraction * static_cast<double>(P)));
  const size_t num_train = P - num_val - num_test;
  if (num_train == 0)
    throw DataError("link split: the graph has " + std::to_string(P) + " undirected pairs, none left to train on");

  // Fisher-Yates with counter-based draws: the permutation is a function of the seed alone.
  const uint64_t key = derive_key(seed, kSplitStream);
  for (size_t k = P; k > 1; --k) {
    const size_t j = uniform_below(hash64(key, k), k);
    std::swap(codes[k - 1], codes[j]);
  }

  LinkSplit s;
  s.num_nodes = num_nodes;
  s.train = take(codes, 0, num_train);
  s.val = take(codes, num_train, num_train + num_val);
  s.test = take(codes, num_train + num_val, P);
  // One negative per validation and test positive, avoiding every edge of the graph (PyG draws
  // them in one call and cuts them in the same order: validation first).
  const NodePairs negatives =
      sample_negatives(all_edges, static_cast<int64_t>(num_val + num_test), SampleKey{seed, 0, kSplitStream});
  for (size_t k = 0; k < num_val + num_test; ++k) {
    NodePairs& to = k < num_val ? s.val_negative : s.test_negative;
    to.src.push_back(negatives.src[k]);
    to.dst.push_back(negatives.dst[k]);
  }
  add_both_directions(s.train, s.train_edges);
  NodePairs train_val = s.train;
  append(train_val, s.val);
  add_both_directions(train_val, s.train_val_edges);
  s.train_edge_set = EdgeSet(s.train_edges.src, s.train_edges.dst, num_nodes, /*both_directions=*/false);
  return s;
}

void find_edge_origins(MessageEdges& edges, const std::vector<int32_t>& src, const std::vector<int32_t>& dst) {
  EdgeCodes sorted(src.size());
  for (size_t e = 0; e < src.size(); ++e) sorted[e] = {pair_code(src[e], dst[e]), static_cast<int64_t>(e)};
  std::sort(sorted.begin(), sorted.end());
  edges.origin.resize(edges.src.size());
  for (size_t e = 0; e < edges.src.size(); ++e) {
    const int32_t u = edges.src[e], v = edges.dst[e];
    const int64_t same = first_edge(sorted, u, v);
    const int64_t origin = same >= 0 ? same : first_edge(sorted, v, u);
    if (origin < 0)
      throw DataError("find_edge_origins: message edge " + std::to_string(e) + " (" + std::to_string(u) + " -> " +
                      std::to_string(v) + ") joins two nodes no edge of the list joins");
    edges.origin[e] = origin;
  }
}

}  // namespace gatgrad
