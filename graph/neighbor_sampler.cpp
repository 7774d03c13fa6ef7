// NeighborSampler (see neighbor_sampler.hpp). One hop, targets T [t], fanout f:
//   1. count    (parallel over targets)  c_t = min(f, deg t) (f = -1: deg t); dst_ptr = prefix sum
//   2. draw     (parallel over targets)  the c_t positions k with the smallest
//               r_vk = hash64(key_v, k) high 32 bits | k, written in position order
//   3. number   (sequential over edges)  local id of each sampled source: its entry in the
//               global -> local map, or the next free id at its first appearance
// The map carries over from hop to hop: hop h+1's destinations are hop h's sources with the
// same local ids, so only the nodes new at each hop are numbered; and from call to call
// without being cleared (LocalIds). Prefetches hide the random reads of lists and map entries.
#include "graph/neighbor_sampler.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <numeric>
#include <string>

#include <tbb/enumerable_thread_specific.h>

#include "autograd/error.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"

namespace gatgrad {

namespace {

constexpr int64_t kTargetBlock = 256;  // targets per parallel block (fixed: results never depend on it)
constexpr int64_t kAhead = 16;         // prefetch distance, in targets or edges
constexpr int64_t kMaxEdges = std::numeric_limits<int32_t>::max();
constexpr uint64_t kSamplerStream = 0x6e65696768626f72ULL;  // "neighbor": the sampler's own draws

// r_vk: the draw of position k of target v's list; the high 32 bits random, the low 32 bits k,
// so that all draws of one list differ and the smallest c are well defined.
inline uint64_t draw(uint64_t key_v, int64_t k) {
  return (hash64(key_v, static_cast<uint64_t>(k)) & 0xffffffff00000000ULL) | static_cast<uint64_t>(k);
}

// Keeps the first (smallest) index for which a parallel check failed.
void keep_first(std::atomic<int64_t>& first, int64_t i) {
  int64_t cur = first.load(std::memory_order_relaxed);
  while (i < cur && !first.compare_exchange_weak(cur, i, std::memory_order_relaxed)) {
  }
}

// Global id -> local id in the blocks of the current call. Never cleared between calls: a
// node of this call holds base + its local id, and any entry below base was written by an
// earlier call, so it reads as unset. Each call moves base past the ids it used; only when
// base could overflow is the array zeroed (every ~2^32 / S calls).
class LocalIds {
 public:
  void start(int64_t num_nodes) {
    if (static_cast<int64_t>(entry_.size()) < num_nodes) entry_.resize(static_cast<size_t>(num_nodes), 0);
    if (base_ > std::numeric_limits<uint32_t>::max() - static_cast<uint64_t>(num_nodes)) {
      std::fill(entry_.begin(), entry_.end(), 0);
      base_ = 1;
    }
  }
  void finish(size_t used) { base_ += static_cast<uint32_t>(used); }
  int32_t get(int32_t g) const {
    const uint32_t v = entry_[static_cast<size_t>(g)];
    return v >= base_ ? static_cast<int32_t>(v - base_) : -1;
  }
  void set(int32_t g, int32_t local) { entry_[static_cast<size_t>(g)] = base_ + static_cast<uint32_t>(local); }
  const uint32_t* data() const { return entry_.data(); }

 private:
  std::vector<uint32_t> entry_;  // [N]
  uint32_t base_ = 1;
};

using DrawBuffers = tbb::enumerable_thread_specific<std::vector<uint64_t>>;

}  // namespace

uint64_t sample_step_key(const SampleKey& key) {
  return hash64(derive_key(key.seed, key.epoch), key.step ^ kSamplerStream);
}

struct NeighborSampler::Scratch {
  LocalIds local;                // [N] global -> local id
  std::vector<int32_t> touched;  // every node numbered in this call, in local-id order
  std::vector<int32_t> picked;   // the current hop's sampled global ids, grouped by target
  std::vector<int64_t> begin, degree;  // [T] each target's list in the source's neighbors
  std::vector<int64_t> first;          // [T] each target's first edge id (a source with first_edge)
  DrawBuffers draws;             // one list's r_vk, per thread

  // Ends a call, also when sampling throws: the next call sees none of its ids.
  void finish() {
    local.finish(touched.size());
    touched.clear();
  }
};

NeighborSampler::NeighborSampler(std::vector<int64_t> fanout) : fanout_(std::move(fanout)), scratch_(std::make_unique<Scratch>()) {
  if (fanout_.empty()) throw UsageError("NeighborSampler: the fanout is empty (it needs one entry per layer)");
  for (size_t h = 0; h < fanout_.size(); ++h)
    if (fanout_[h] < -1)
      throw UsageError("NeighborSampler: fanout[" + std::to_string(h) + "] = " + std::to_string(fanout_[h]) +
                       "; each entry is -1 (every neighbour) or a count >= 0");
}

NeighborSampler::~NeighborSampler() = default;
NeighborSampler::NeighborSampler(NeighborSampler&&) noexcept = default;
NeighborSampler& NeighborSampler::operator=(NeighborSampler&&) noexcept = default;

std::vector<Block> NeighborSampler::sample(const Graph& graph, std::span<const int32_t> seeds, const SampleKey& key) {
  GraphAdjacency adjacency(graph);
  return sample(adjacency, seeds, key);
}

namespace {

// Step 1: where each target's list starts (begin [T]) and its length (degree [T]), checked
// against the source's arrays, and dst_ptr [T+1] of the hop's block from c_t = min(f, deg t)
// (f < 0: deg t). Target t reads row rows[t] (or targets[t]) of the source's R rows.
std::vector<int64_t> count_sampled(const IncomingLists& lists, std::span<const int32_t> targets, int64_t fanout,
                                   int64_t* begin, int64_t* degree) {
  const int64_t T = static_cast<int64_t>(targets.size());
  const int64_t R = static_cast<int64_t>(lists.ptr.size()) - 1;
  if (!lists.rows.empty() && static_cast<int64_t>(lists.rows.size()) != T)
    throw Error("NeighborSampler: the adjacency source gave " + std::to_string(lists.rows.size()) + " rows for " +
                std::to_string(T) + " targets");
  std::vector<int64_t> dst_ptr(static_cast<size_t>(T + 1));
  std::atomic<int64_t> first_bad{T};
  const int64_t num_neighbors = static_cast<int64_t>(lists.neighbors.size());
  auto row_of = [&](int64_t t) -> int64_t { return lists.rows.empty() ? targets[t] : lists.rows[t]; };
  parallel_blocks(T, kTargetBlock, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      if (t + kAhead < t1) {  // random reads: ask for a later target's row early
        const int64_t ahead = row_of(t + kAhead);
        if (ahead >= 0 && ahead < R) __builtin_prefetch(lists.ptr.data() + ahead);
      }
      const int64_t row = row_of(t);
      if (row < 0 || row >= R) {
        keep_first(first_bad, t);
        return;
      }
      const int64_t b = lists.ptr[row], e = lists.ptr[row + 1];
      if (b < 0 || e < b || e > num_neighbors) {
        keep_first(first_bad, t);
        return;
      }
      begin[t] = b;
      degree[t] = e - b;
      dst_ptr[t + 1] = fanout < 0 ? e - b : std::min(e - b, fanout);
    }
  });
  if (const int64_t t = first_bad.load(); t < T) {
    const int64_t row = row_of(t);
    throw Error("NeighborSampler: the adjacency source's list for node " + std::to_string(targets[t]) + " (row " +
                std::to_string(row) + " of " + std::to_string(R) + ") is out of its ptr [" +
                std::to_string(R + 1) + "] or neighbors [" + std::to_string(num_neighbors) + "] arrays");
  }
  for (int64_t t = 0; t < T; ++t) dst_ptr[t + 1] += dst_ptr[t];
  if (dst_ptr[T] > kMaxEdges)
    throw DataError("NeighborSampler: a block of " + std::to_string(dst_ptr[T]) +
                    " sampled edges does not fit 32-bit edge ids; use smaller batches or fanouts");
  return dst_ptr;
}

// Step 2: picked [E] = each target's sample of global ids, target t's at dst_ptr[t] ..
// dst_ptr[t+1], in its incoming-edge order. begin, degree [T]: its list (step 1).
//   c_t == deg: the whole list; else the positions k with the c_t smallest r_vk.
// edge_ids, when not null: [E] the id first[t] + k of each pick (first: the source's
// first_edge of t's row, or its position begin[t]).
void draw_samples(const IncomingLists& lists, std::span<const int32_t> targets, const int64_t* begin,
                  const int64_t* degree, const std::vector<int64_t>& dst_ptr, uint64_t step_key, DrawBuffers& draws,
                  int32_t* picked, int64_t* edge_ids, const int64_t* first) {
  const int64_t T = static_cast<int64_t>(targets.size());
  const int32_t* neighbors = lists.neighbors.data();
  parallel_blocks(T, kTargetBlock, [&](int64_t t0, int64_t t1) {
    std::vector<uint64_t>& r = draws.local();
    for (int64_t t = t0; t < t1; ++t) {
      if (t + kAhead < t1) {  // a later target's list: its first and its last cache line
        const int32_t* later = neighbors + begin[t + kAhead];
        __builtin_prefetch(later);
        __builtin_prefetch(later + std::max<int64_t>(degree[t + kAhead] - 1, 0));
      }
      const int32_t* nb = neighbors + begin[t];
      const int64_t deg = degree[t], c = dst_ptr[t + 1] - dst_ptr[t];
      int32_t* out = picked + dst_ptr[t];
      int64_t* ids = edge_ids ? edge_ids + dst_ptr[t] : nullptr;
      if (c == deg) {
        std::copy(nb, nb + deg, out);
        if (ids) std::iota(ids, ids + deg, first[t]);
        continue;
      }
      if (c == 0) continue;
      const uint64_t key_v = hash64(step_key, static_cast<uint64_t>(targets[t]));
      if (static_cast<int64_t>(r.size()) < deg) r.resize(static_cast<size_t>(deg));
      for (int64_t k = 0; k < deg; ++k) r[k] = draw(key_v, k);
      std::nth_element(r.begin(), r.begin() + (c - 1), r.begin() + deg);
      const uint64_t last = r[c - 1];  // the c-th smallest draw: keep exactly the draws <= it
      for (int64_t k = 0; k < deg; ++k)
        if (draw(key_v, k) <= last) {
          *out++ = nb[k];
          if (ids) *ids++ = first[t] + k;
        }
    }
  });
}

// Step 3: the local id [E] of each sampled source picked [E] (global ids). A node already in
// `local` keeps its id; a new one gets the next id, touched.size(), at its first appearance,
// and is appended to touched. Throws Error for an id out of [0, N) (a faulty source).
std::vector<int32_t> number_sources(const std::vector<int32_t>& picked, const std::vector<int64_t>& dst_ptr,
                                    int64_t N, LocalIds& local, std::vector<int32_t>& touched) {
  const int64_t E = static_cast<int64_t>(picked.size());
  std::vector<int32_t> src_local(static_cast<size_t>(E));
  for (int64_t p = 0; p < E; ++p) {
    if (p + kAhead < E) {  // the map entry of a later edge's source
      const int32_t ahead = picked[static_cast<size_t>(p + kAhead)];
      if (ahead >= 0 && ahead < N) __builtin_prefetch(local.data() + ahead);
    }
    const int32_t g = picked[static_cast<size_t>(p)];
    if (g < 0 || g >= N) {
      const int64_t t = std::upper_bound(dst_ptr.begin(), dst_ptr.end(), p) - dst_ptr.begin() - 1;
      throw Error("NeighborSampler: the adjacency source lists neighbour " + std::to_string(g) + " of node " +
                  std::to_string(touched[static_cast<size_t>(t)]) + ", out of range for " + std::to_string(N) + " nodes");
    }
    int32_t l = local.get(g);
    if (l < 0) {
      l = static_cast<int32_t>(touched.size());
      local.set(g, l);
      touched.push_back(g);
    }
    src_local[static_cast<size_t>(p)] = l;
  }
  return src_local;
}

}  // namespace

std::vector<Block> NeighborSampler::sample(AdjacencySource& adjacency, std::span<const int32_t> seeds,
                                           const SampleKey& key) {
  const int64_t N = adjacency.num_nodes();
  if (N <= 0 || N > std::numeric_limits<int32_t>::max())
    throw Error("NeighborSampler: the adjacency source has " + std::to_string(N) + " nodes (needs 1 .. 2^31 - 1)");
  Scratch& s = *scratch_;
  if (seeds.empty()) throw DataError("NeighborSampler::sample: no seed nodes");
  s.local.start(N);
  struct FinishOnExit {
    Scratch& s;
    ~FinishOnExit() { s.finish(); }
  } finish_on_exit{s};

  // The seeds are hop 0's destinations: local ids 0 .. B-1 in the order given.
  for (size_t t = 0; t < seeds.size(); ++t) {
    const int32_t v = seeds[t];
    if (v < 0 || v >= N)
      throw DataError("NeighborSampler::sample: seeds[" + std::to_string(t) + "] = " + std::to_string(v) +
                      " is out of range for " + std::to_string(N) + " nodes");
    if (const int32_t earlier = s.local.get(v); earlier >= 0)
      throw DataError("NeighborSampler::sample: seeds[" + std::to_string(t) + "] = " + std::to_string(v) +
                      " repeats seeds[" + std::to_string(earlier) + "]; seeds must be distinct");
    s.local.set(v, static_cast<int32_t>(t));
    s.touched.push_back(v);
  }

  const uint64_t step_key = sample_step_key(key);
  std::vector<Block> blocks;  // hop order here; reversed into layer order at the end
  blocks.reserve(fanout_.size());
  for (const int64_t fanout : fanout_) {
    // Targets: every node numbered so far (the seeds, then each hop's new sources).
    const std::span<const int32_t> targets(s.touched.data(), s.touched.size());
    const int64_t T = static_cast<int64_t>(targets.size());
    const IncomingLists lists = adjacency.incoming(targets);
    s.begin.resize(static_cast<size_t>(T));
    s.degree.resize(static_cast<size_t>(T));
    std::vector<int64_t> dst_ptr = count_sampled(lists, targets, fanout, s.begin.data(), s.degree.data());
    const int64_t E = dst_ptr[static_cast<size_t>(T)];

    s.picked.resize(static_cast<size_t>(E));
    if (record_edges_ && !lists.rows.empty() && lists.first_edge.empty())
      throw Error("NeighborSampler: edge ids need the whole graph's incoming lists or each list's first edge, and "
                  "this adjacency source gives rows of its own without them");
    std::vector<int64_t> edge_ids(record_edges_ ? static_cast<size_t>(E) : 0);
    if (record_edges_ && !lists.first_edge.empty()) {  // t's first edge id instead of its list's position
      if (static_cast<int64_t>(lists.first_edge.size()) != static_cast<int64_t>(lists.ptr.size()) - 1)
        throw Error("NeighborSampler: the adjacency source gave " + std::to_string(lists.first_edge.size()) +
                    " first edges for " + std::to_string(lists.ptr.size() - 1) + " lists");
      s.first.resize(static_cast<size_t>(T));
      for (int64_t t = 0; t < T; ++t)
        s.first[t] = lists.first_edge[static_cast<size_t>(lists.rows.empty() ? targets[t] : lists.rows[t])];
    }
    const int64_t* first = lists.first_edge.empty() ? s.begin.data() : s.first.data();
    draw_samples(lists, targets, s.begin.data(), s.degree.data(), dst_ptr, step_key, s.draws, s.picked.data(),
                 record_edges_ ? edge_ids.data() : nullptr, first);
    s.touched.reserve(static_cast<size_t>(T + E));  // push_back never allocates; targets is not read after it
    std::vector<int32_t> src_local = number_sources(s.picked, dst_ptr, N, s.local, s.touched);
    const int64_t S = static_cast<int64_t>(s.touched.size());
    blocks.push_back({Graph::from_csr(std::move(dst_ptr), std::move(src_local), S),
                      std::vector<int32_t>(s.touched.begin(), s.touched.end()), std::move(edge_ids)});
  }
  std::reverse(blocks.begin(), blocks.end());
  return blocks;
}

}  // namespace gatgrad
