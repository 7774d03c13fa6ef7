// EdgeSet and sample_negatives (graph/negative_sampling.hpp).
#include <algorithm>
#include <atomic>
#include <string>

#include "autograd/error.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"
#include "graph/negative_sampling.hpp"

namespace gatgrad {

namespace {

constexpr uint64_t kNegativeStream = 0x6e65676174697665ULL;  // "negative": this sampler's own draws
constexpr int64_t kNegativeBlock = 4096;                     // negatives per parallel block

}  // namespace

EdgeSet::EdgeSet(const std::vector<int32_t>& src, const std::vector<int32_t>& dst, int64_t num_nodes,
                 bool both_directions) {
  if (src.size() != dst.size())
    throw Error("EdgeSet: " + std::to_string(src.size()) + " sources but " + std::to_string(dst.size()) +
                " destinations");
  for (size_t e = 0; e < src.size(); ++e)
    if (src[e] < 0 || src[e] >= num_nodes || dst[e] < 0 || dst[e] >= num_nodes)
      throw DataError("EdgeSet: edge " + std::to_string(e) + " (" + std::to_string(src[e]) + " -> " +
                      std::to_string(dst[e]) + ") is out of range for " + std::to_string(num_nodes) + " nodes");
  // Counting sort by source (both directions when asked), then sort and deduplicate each list.
  const size_t E = src.size();
  std::vector<int64_t> count(static_cast<size_t>(num_nodes) + 1, 0);
  for (size_t e = 0; e < E; ++e) {
    ++count[static_cast<size_t>(src[e]) + 1];
    if (both_directions) ++count[static_cast<size_t>(dst[e]) + 1];
  }
  for (size_t n = 0; n < static_cast<size_t>(num_nodes); ++n) count[n + 1] += count[n];
  std::vector<int32_t> all(static_cast<size_t>(count.back()));
  std::vector<int64_t> fill(count.begin(), count.end() - 1);
  for (size_t e = 0; e < E; ++e) {
    all[static_cast<size_t>(fill[static_cast<size_t>(src[e])]++)] = dst[e];
    if (both_directions) all[static_cast<size_t>(fill[static_cast<size_t>(dst[e])]++)] = src[e];
  }
  ptr_.assign(static_cast<size_t>(num_nodes) + 1, 0);
  neighbors_.reserve(all.size());
  for (int64_t n = 0; n < num_nodes; ++n) {
    auto first = all.begin() + count[static_cast<size_t>(n)], last = all.begin() + count[static_cast<size_t>(n) + 1];
    std::sort(first, last);
    last = std::unique(first, last);
    for (auto it = first; it != last; ++it) {
      neighbors_.push_back(*it);
      if (*it == n) ++num_loops_;
    }
    ptr_[static_cast<size_t>(n) + 1] = static_cast<int64_t>(neighbors_.size());
  }
}

bool EdgeSet::contains(int32_t u, int32_t v) const {
  const auto first = neighbors_.begin() + ptr_[static_cast<size_t>(u)];
  const auto last = neighbors_.begin() + ptr_[static_cast<size_t>(u) + 1];
  return std::binary_search(first, last, v);
}

NodePairs sample_negatives(const EdgeSet& avoid, int64_t count, const SampleKey& key, int64_t first_index) {
  const int64_t N = avoid.num_nodes();
  if (N < 2) throw DataError("negative sampling: needs at least 2 nodes, the graph has " + std::to_string(N));
  const double off_diagonal = static_cast<double>(N) * static_cast<double>(N - 1);
  if (static_cast<double>(avoid.num_off_diagonal_pairs()) > 0.5 * off_diagonal)
    throw DataError("negative sampling: " + std::to_string(avoid.num_off_diagonal_pairs()) + " of the " +
                    std::to_string(static_cast<int64_t>(off_diagonal)) +
                    " node pairs are edges (more than half): too dense to sample non-edges");
  NodePairs out;
  out.src.resize(static_cast<size_t>(count));
  out.dst.resize(static_cast<size_t>(count));
  const uint64_t step_key = hash64(derive_key(key.seed, key.epoch), key.step ^ kNegativeStream);
  std::atomic<bool> exhausted{false};  // set by any block that gives up
  parallel_blocks(count, kNegativeBlock, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const uint64_t pair_key = hash64(step_key, static_cast<uint64_t>(first_index + k));
      int32_t u = 0, v = 0;
      bool found = false;
      for (uint64_t t = 0; t < static_cast<uint64_t>(kNegativeAttempts) && !found; ++t) {
        u = static_cast<int32_t>(uniform_below(hash64(pair_key, 2 * t), static_cast<uint64_t>(N)));
        v = static_cast<int32_t>(uniform_below(hash64(pair_key, 2 * t + 1), static_cast<uint64_t>(N)));
        found = u != v && !avoid.contains(u, v);
      }
      if (!found) exhausted = true;
      out.src[static_cast<size_t>(k)] = u;
      out.dst[static_cast<size_t>(k)] = v;
    }
  });
  if (exhausted)
    throw DataError("negative sampling: a negative found no non-edge in " + std::to_string(kNegativeAttempts) +
                    " draws");
  return out;
}

}  // namespace gatgrad
