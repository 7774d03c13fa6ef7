// make_csbm: a contextual stochastic block model, generated in parallel and deterministically.
//   pairs:    pair k draws u uniform, then v uniform in u's class (prob. homophily) or in
//             another class; pairs are kept as sorted unique keys min<<32|max, and duplicates
//             are replaced by fresh draws (counters M, M+1, ...) until M distinct pairs remain.
//   features: x_i = mu_{y_i} + z_i, mu_c = signal * g_c / |g_c|, g_c, z_i ~ N(0, I_F).
//   masks:    nodes in a random order (sorted by hash); per-class train picks, then val, test.
//   edges' features (edge_dim > 0): x_e[0] = [y_src = y_dst] xor (u_e < edge_flip), x_e[1..] ~ N(0, 1).
// Each number is a counter-based hash of (seed, stream, index) from autograd/random.hpp, never a
// shared generator state, and each row or pair is computed by the same code whatever the thread
// split, so the output bytes do not depend on the number of threads.
#include "graph/synthetic.hpp"

#include "io/json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <tbb/parallel_sort.h>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/error.hpp"
#include "autograd/kernels/table.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"

namespace gatgrad {
namespace {

enum Stream : uint64_t { kPairU = 101, kPairCoin, kPairV, kPairW, kMean, kNoise, kOrder, kEdgeFlip, kEdgeNoise };

uint64_t below(uint64_t h, uint64_t n) { return uniform_below(h, n); }
double unit(uint64_t h) { return uniform_unit(h); }

// out[j] += z_j ~ N(0, 1) for j < n, z_j a function of (key, j) only: Box-Muller on 24-bit
// uniforms (|z| < 5.8) in unfused arithmetic, so the same bits on every instruction-set level
// (autograd/kernels/softmax_loss.hpp's add_normals).
void add_normals(uint64_t key, float* out, int64_t n) { kernels::float_table().add_normals(key, 0, out, n); }

// ---- checks ----

[[noreturn]] void bad(const std::string& what) { throw UsageError("make_csbm: " + what); }

int64_t pair_count(const CsbmOptions& o) {
  if (o.num_edges > 0) {
    if (o.num_edges % 2) bad("num_edges = " + std::to_string(o.num_edges) + " must be even (each pair is emitted in both directions)");
    return o.num_edges / 2;
  }
  if (!(o.avg_degree >= 0) || !std::isfinite(o.avg_degree)) bad("avg_degree must be finite and >= 0");
  return std::llround(static_cast<double>(o.num_nodes) * o.avg_degree / 2);
}

void check(const CsbmOptions& o, int64_t pairs) {
  const int64_t n = o.num_nodes, c = o.num_classes;
  if (n < 1 || n > std::numeric_limits<int32_t>::max()) bad("num_nodes must be in [1, 2^31 - 1]");
  if (c < 1 || n < 2 * c) bad("num_classes must be >= 1 with at least 2 nodes per class");
  if (!(o.homophily >= 0 && o.homophily <= 1)) bad("homophily must be in [0, 1]");
  if (o.num_features < 1) bad("num_features must be >= 1");
  if (!(o.signal >= 0) || !std::isfinite(o.signal)) bad("signal must be finite and >= 0");
  if (o.train_per_class < 0 || o.val_size < 0 || o.test_size < 0) bad("split sizes must be >= 0");
  if (o.edge_dim < 0) bad("edge_dim must be >= 0");
  if (!(o.edge_flip >= 0 && o.edge_flip <= 1)) bad("edge_flip must be in [0, 1]");
  if (o.train_per_class > n / c) bad("train_per_class exceeds the smallest class (" + std::to_string(n / c) + " nodes)");
  if (o.train_per_class * c + o.val_size + o.test_size > n)
    bad("train_per_class * num_classes + val_size + test_size = " +
        std::to_string(o.train_per_class * c + o.val_size + o.test_size) + " exceeds num_nodes = " + std::to_string(n));
  // Rejection of repeated pairs only converges when at most half of the possible pairs are used.
  const double size = static_cast<double>(n) / static_cast<double>(c);
  const double intra = static_cast<double>(c) * size * (size - 1) / 2, all = static_cast<double>(n) * (n - 1) / 2;
  const double h = c == 1 ? 1.0 : o.homophily;
  if (pairs * h > intra / 2 || pairs * (1 - h) > (all - intra) / 2)
    bad(std::to_string(2 * pairs) + " directed edges are too many for " + std::to_string(n) + " nodes in " +
        std::to_string(c) + " classes at homophily " + std::to_string(o.homophily));
}

// ---- edges ----

struct PairDrawer {
  int64_t n, c;
  double homophily;
  uint64_t ku, kcoin, kv, kw;  // stream keys

  uint64_t operator()(uint64_t k) const {
    const int64_t u = static_cast<int64_t>(below(hash64(ku, k), n));
    const int64_t cu = u % c, size_u = (n - cu + c - 1) / c;
    int64_t v;
    if (c == 1 || unit(hash64(kcoin, k)) < homophily) {  // same class, another node
      int64_t j = static_cast<int64_t>(below(hash64(kv, k), size_u - 1));
      if (j >= u / c) ++j;
      v = cu + j * c;
    } else {                                               // another class
      int64_t cv = static_cast<int64_t>(below(hash64(kv, k), c - 1));
      if (cv >= cu) ++cv;
      v = cv + static_cast<int64_t>(below(hash64(kw, k), (n - cv + c - 1) / c)) * c;
    }
    const uint64_t lo = static_cast<uint64_t>(std::min(u, v)), hi = static_cast<uint64_t>(std::max(u, v));
    return lo << 32 | hi;
  }
};

// Draws counters [first, first + count) into out[0, count) and sorts them.
void draw_sorted(const PairDrawer& draw, uint64_t first, std::vector<uint64_t>& out) {
  parallel_blocks(static_cast<int64_t>(out.size()), kBlock, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = draw(first + static_cast<uint64_t>(i));
  });
  tbb::parallel_sort(out.begin(), out.end());
}

// M distinct pairs as sorted keys lo<<32|hi.
std::vector<uint64_t> distinct_pairs(const CsbmOptions& o, int64_t pairs) {
  const PairDrawer draw{o.num_nodes, o.num_classes, o.homophily, derive_key(o.seed, kPairU),
                        derive_key(o.seed, kPairCoin), derive_key(o.seed, kPairV), derive_key(o.seed, kPairW)};
  std::vector<uint64_t> keys(static_cast<size_t>(pairs));
  draw_sorted(draw, 0, keys);
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  uint64_t drawn = static_cast<uint64_t>(pairs);
  std::vector<uint64_t> more;
  for (int round = 0; keys.size() < static_cast<size_t>(pairs); ++round) {
    if (round == 1000) throw Error("make_csbm: could not draw " + std::to_string(pairs) + " distinct pairs");
    more.resize(static_cast<size_t>(pairs) - keys.size());
    draw_sorted(draw, drawn, more);
    drawn += more.size();
    const size_t mid = keys.size();
    keys.insert(keys.end(), more.begin(), more.end());
    std::inplace_merge(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(mid), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  }
  return keys;
}

// ---- features and masks ----

// x [N, F] row-major, written whole.
void make_features(const CsbmOptions& o, const std::vector<int64_t>& y, float* x) {
  const int64_t f = o.num_features, c = o.num_classes;
  const uint64_t kmean = derive_key(o.seed, kMean), knoise = derive_key(o.seed, kNoise);
  xt::xtensor<float, 2> mean = xt::zeros<float>({c, f});  // [C, F]
  for (int64_t k = 0; k < c; ++k) add_normals(hash64(kmean, static_cast<uint64_t>(k)), &mean(k, 0), f);  // g_c
  // mu_c = signal * g_c / |g_c|: the norm in double, the scale rounded to float once per class
  const xt::xtensor<double, 2> norm = xt::sqrt(xt::sum(xt::square(xt::cast<double>(mean)), {1}, xt::keep_dims));  // [C, 1]
  mean *= xt::cast<float>(o.signal / norm);
  parallel_blocks(o.num_nodes, 256, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float* row = x + i * f;
      std::copy_n(&mean(y[i], 0), f, row);
      add_normals(hash64(knoise, static_cast<uint64_t>(i)), row, f);
    }
  });
}

void make_masks(const CsbmOptions& o, Dataset& d) {
  const int64_t n = o.num_nodes;
  const uint64_t korder = derive_key(o.seed, kOrder);
  std::vector<uint64_t> order(static_cast<size_t>(n));  // random high half, node id low half
  parallel_blocks(n, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) order[i] = (hash64(korder, static_cast<uint64_t>(i)) & ~0xffffffffull) | static_cast<uint64_t>(i);
  });
  tbb::parallel_sort(order.begin(), order.end());
  d.train_mask.assign(static_cast<size_t>(n), 0);
  d.val_mask.assign(static_cast<size_t>(n), 0);
  d.test_mask.assign(static_cast<size_t>(n), 0);
  std::vector<int64_t> per_class(static_cast<size_t>(o.num_classes), 0);
  for (uint64_t key : order) {
    const int64_t i = static_cast<int64_t>(key & 0xffffffffull);
    if (per_class[d.y[i]] < o.train_per_class) {
      ++per_class[d.y[i]];
      d.train_mask[i] = 1;
    }
  }
  int64_t val = 0, test = 0;
  for (uint64_t key : order) {
    const int64_t i = static_cast<int64_t>(key & 0xffffffffull);
    if (d.train_mask[i]) continue;
    if (val < o.val_size) { d.val_mask[i] = 1; ++val; }
    else if (test < o.test_size) { d.test_mask[i] = 1; ++test; }
    else break;
  }
}

// d.edge_attr [E, edge_dim] for d's edges (see the top of this file).
void make_edge_features(const CsbmOptions& o, Dataset& d) {
  const int64_t D = o.edge_dim, E = d.num_edges();
  const uint64_t kflip = derive_key(o.seed, kEdgeFlip), knoise = derive_key(o.seed, kEdgeNoise);
  d.edge_dim = D;
  d.edge_attr.assign(static_cast<size_t>(E * D), 0.0f);
  parallel_blocks(E, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      float* row = d.edge_attr.data() + k * D;
      const bool same = d.y[d.src[k]] == d.y[d.dst[k]];
      const bool flip = unit(hash64(kflip, static_cast<uint64_t>(k))) < o.edge_flip;
      row[0] = same != flip ? 1.0f : 0.0f;
      if (D > 1) add_normals(hash64(knoise, static_cast<uint64_t>(k)), row + 1, D - 1);
    }
  });
}

// Everything but the edges and the features: sizes, labels, masks.
Dataset make_nodes(const CsbmOptions& o) {
  Dataset d;
  d.name = "synthetic";
  d.num_nodes = o.num_nodes;
  d.num_features = o.num_features;
  d.num_classes = o.num_classes;
  d.y.resize(static_cast<size_t>(o.num_nodes));
  for (int64_t i = 0; i < o.num_nodes; ++i) d.y[i] = i % o.num_classes;
  make_masks(o, d);
  return d;
}

}  // namespace

std::string csbm_options_to_json(const CsbmOptions& o) {
  Json j;
  j["num_nodes"] = o.num_nodes;
  j["num_classes"] = o.num_classes;
  j["avg_degree"] = o.avg_degree;
  j["num_edges"] = o.num_edges;
  j["homophily"] = o.homophily;
  j["num_features"] = o.num_features;
  j["signal"] = o.signal;
  j["seed"] = o.seed;
  j["train_per_class"] = o.train_per_class;
  j["val_size"] = o.val_size;
  j["test_size"] = o.test_size;
  j["edge_dim"] = o.edge_dim;
  j["edge_flip"] = o.edge_flip;
  return j.dump();
}

CsbmOptions csbm_options_from_json(const std::string& json, const std::string& source) {
  const Json j = parse_json(json, source);
  CsbmOptions o;
  // Each field checked against its type (io/json.hpp): no 1e300 cast into an int64.
  const std::string where = source + ": the synthetic graph's options";
  o.num_nodes = json_field<int64_t>(j, "num_nodes", where);
  o.num_classes = json_field<int64_t>(j, "num_classes", where);
  o.avg_degree = json_field<double>(j, "avg_degree", where);
  o.num_edges = json_field<int64_t>(j, "num_edges", where);
  o.homophily = json_field<double>(j, "homophily", where);
  o.num_features = json_field<int64_t>(j, "num_features", where);
  o.signal = json_field<double>(j, "signal", where);
  o.seed = json_field<uint64_t>(j, "seed", where);
  o.train_per_class = json_field<int64_t>(j, "train_per_class", where);
  o.val_size = json_field<int64_t>(j, "val_size", where);
  o.test_size = json_field<int64_t>(j, "test_size", where);
  o.edge_dim = json_field<int64_t>(j, "edge_dim", where);
  o.edge_flip = json_field<double>(j, "edge_flip", where);
  return o;
}

Dataset make_csbm(const CsbmOptions& o) {
  const int64_t pairs = pair_count(o);
  check(o, pairs);
  Dataset d = make_nodes(o);

  const std::vector<uint64_t> keys = distinct_pairs(o, pairs);
  d.src.resize(static_cast<size_t>(2 * pairs));
  d.dst.resize(static_cast<size_t>(2 * pairs));
  parallel_blocks(pairs, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int32_t lo = static_cast<int32_t>(keys[k] >> 32), hi = static_cast<int32_t>(keys[k] & 0xffffffffull);
      d.src[2 * k] = lo;
      d.dst[2 * k] = hi;
      d.src[2 * k + 1] = hi;
      d.dst[2 * k + 1] = lo;
    }
  });

  d.x_dense.resize(static_cast<size_t>(o.num_nodes * o.num_features));
  make_features(o, d.y, d.x_dense.data());
  if (o.edge_dim > 0) make_edge_features(o, d);
  return d;
}

// Edge 2k is lo_k -> hi_k and edge 2k+1 is hi_k -> lo_k, k in key order: a destination's
// incoming sources in edge-list order are met by walking the keys once, which is what the
// stable grouping of Graph::from_edges gives.
CsbmByDestination make_csbm_by_destination(const CsbmOptions& o) {
  const int64_t pairs = pair_count(o);
  check(o, pairs);
  if (o.edge_dim > 0) bad("edge features (edge_dim) are made by make_csbm only");
  CsbmByDestination g;
  g.nodes = make_nodes(o);
  {
    const std::vector<uint64_t> keys = distinct_pairs(o, pairs);
    const int64_t n = o.num_nodes;
    auto lo = [&](int64_t k) { return static_cast<int64_t>(keys[k] >> 32); };
    auto hi = [&](int64_t k) { return static_cast<int64_t>(keys[k] & 0xffffffffull); };
    g.dst_ptr.assign(static_cast<size_t>(n + 1), 0);
    for (int64_t k = 0; k < pairs; ++k) {  // in-degrees, shifted by one
      ++g.dst_ptr[hi(k) + 1];
      ++g.dst_ptr[lo(k) + 1];
    }
    for (int64_t v = 0; v < n; ++v) g.dst_ptr[v + 1] += g.dst_ptr[v];
    std::vector<int64_t> next(g.dst_ptr.begin(), g.dst_ptr.end() - 1);  // each destination's next slot
    g.src.resize(static_cast<size_t>(2 * pairs));
    for (int64_t k = 0; k < pairs; ++k) {
      g.src[next[hi(k)]++] = static_cast<int32_t>(lo(k));  // edge 2k:   lo -> hi
      g.src[next[lo(k)]++] = static_cast<int32_t>(hi(k));  // edge 2k+1: hi -> lo
    }
  }  // the keys are freed before the features take their memory
  g.x = Tensor::empty({o.num_nodes, o.num_features}, DType::f32);
  make_features(o, g.nodes.y, g.x.data<float>());
  return g;
}

}  // namespace gatgrad
