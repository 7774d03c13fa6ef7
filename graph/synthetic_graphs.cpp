// make_graph_set: the synthetic PPI-like set of graphs (synthetic_graphs.hpp).
#include "graph/synthetic_graphs.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/error.hpp"
#include "autograd/kernels/table.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"
#include "graph/graph_index.hpp"
#include "io/json.hpp"

namespace gatgrad {

namespace {

enum Stream : uint64_t { kSize = 201, kPair, kFeature, kProjection, kThreshold, kLabelNoise };

// out[j] += z_j ~ N(0, 1), the same bits on every instruction-set level (synthetic.cpp's draw).
void add_normals(uint64_t key, float* out, int64_t n) { kernels::float_table().add_normals(key, 0, out, n); }

// m[i] = mean of h[j] over the neighbours j of i (zero for an isolated node): [N, F].
std::vector<double> neighbour_mean(const std::vector<double>& h, const std::vector<int64_t>& ptr,
                                   const std::vector<int32_t>& nbr, int64_t n, int64_t f) {
  std::vector<double> m(static_cast<size_t>(n * f), 0.0);
  parallel_blocks(n, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      double* mi = &m[static_cast<size_t>(i * f)];
      for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k)
        for (int64_t c = 0; c < f; ++c) mi[c] += h[static_cast<size_t>(nbr[k] * f + c)];
      const int64_t deg = ptr[i + 1] - ptr[i];
      if (deg > 0)
        for (int64_t c = 0; c < f; ++c) mi[c] /= static_cast<double>(deg);
    }
  });
  return m;
}

// Each column of m [N, F] to mean 0, variance 1: (m - mean) / sd, a constant column (sd 0) to 0.
void standardise_columns(std::vector<double>& values, int64_t n, int64_t f) {
  auto m = xt::adapt(values, std::array<size_t, 2>{static_cast<size_t>(n), static_cast<size_t>(f)});
  const xt::xtensor<double, 1> mean = xt::mean(m, {0});                             // [F]
  const xt::xtensor<double, 1> sd = xt::sqrt(xt::mean(xt::square(m - mean), {0}));  // [F]
  m = xt::where(sd > 0, (m - mean) / sd, 0.0);
}

// A random unit vector u = z / |z| of length f (|z| in double; 0 for z = 0), the stream's element `index`.
std::vector<double> unit_vector(uint64_t key, int64_t f) {
  std::vector<float> z(static_cast<size_t>(f), 0.0f);
  add_normals(key, z.data(), f);
  xt::xtensor<double, 1> u = xt::cast<double>(xt::adapt(z));
  const double norm = std::sqrt(xt::sum(xt::square(u))());
  if (norm > 0) u /= norm;
  return {u.begin(), u.end()};
}

double dot(const double* a, const std::vector<double>& b) {
  double s = 0;
  for (size_t c = 0; c < b.size(); ++c) s += a[c] * b[c];
  return s;
}

}  // namespace

std::string graph_set_options_to_json(const GraphSetOptions& o) {
  Json j;
  j["num_graphs"] = o.num_graphs;
  j["val_graphs"] = o.val_graphs;
  j["test_graphs"] = o.test_graphs;
  j["nodes_per_graph"] = o.nodes_per_graph;
  j["avg_degree"] = o.avg_degree;
  j["num_features"] = o.num_features;
  j["num_labels"] = o.num_labels;
  j["seed"] = o.seed;
  return j.dump();
}

GraphSetOptions graph_set_options_from_json(const std::string& json, const std::string& source) {
  const Json j = parse_json(json, source);
  GraphSetOptions o;
  // Each field checked against its type (io/json.hpp): no 1e300 cast into an int64.
  const std::string where = source + ": the synthetic graph set's options";
  o.num_graphs = json_field<int64_t>(j, "num_graphs", where);
  o.val_graphs = json_field<int64_t>(j, "val_graphs", where);
  o.test_graphs = json_field<int64_t>(j, "test_graphs", where);
  o.nodes_per_graph = json_field<int64_t>(j, "nodes_per_graph", where);
  o.avg_degree = json_field<double>(j, "avg_degree", where);
  o.num_features = json_field<int64_t>(j, "num_features", where);
  o.num_labels = json_field<int64_t>(j, "num_labels", where);
  o.seed = json_field<uint64_t>(j, "seed", where);
  return o;
}

Dataset make_graph_set(const GraphSetOptions& o) {
  auto fail = [](const std::string& what) { throw UsageError("synthetic graph set: " + what); };
  if (o.val_graphs < 1 || o.test_graphs < 1) fail("needs at least one validation and one test graph");
  if (o.num_graphs < o.val_graphs + o.test_graphs + 1)
    fail(std::to_string(o.num_graphs) + " graphs leave none to train on after " + std::to_string(o.val_graphs) +
         " validation and " + std::to_string(o.test_graphs) + " test graphs");
  if (o.nodes_per_graph < 5) fail("needs at least 5 nodes per graph");
  if (!(o.avg_degree >= 0) || o.avg_degree > 0.5 * static_cast<double>(o.nodes_per_graph))
    fail("avg_degree must be in [0, nodes per graph / 2]");
  if (o.num_features < 1 || o.num_labels < 1) fail("needs at least one feature and one label");
  if (o.num_graphs * o.nodes_per_graph * 6 / 5 >= (int64_t{1} << 31)) fail("too many nodes for int32 node ids");

  Dataset d;
  d.name = "synthetic-graphs";
  d.num_features = o.num_features;
  d.num_classes = o.num_labels;
  d.multilabel = true;
  const uint64_t seed = o.seed;
  // Sizes, then the pairs of each graph (sorted, without repeats), both ways.
  std::vector<int64_t> first{0};
  for (int64_t g = 0; g < o.num_graphs; ++g) {
    const double u = uniform_unit(hash64(derive_key(seed, kSize), static_cast<uint64_t>(g)));
    const int64_t n = static_cast<int64_t>(std::llround(static_cast<double>(o.nodes_per_graph) * (0.8 + 0.4 * u)));
    first.push_back(first.back() + n);
    d.graph_index.insert(d.graph_index.end(), static_cast<size_t>(n), static_cast<int32_t>(g));
  }
  const int64_t N = first.back(), F = o.num_features;
  d.num_nodes = N;
  for (int64_t g = 0; g < o.num_graphs; ++g) {
    const int64_t n = first[g + 1] - first[g];
    const int64_t pairs = static_cast<int64_t>(std::llround(static_cast<double>(n) * o.avg_degree / 2));
    const uint64_t key = derive_key(derive_key(seed, kPair), static_cast<uint64_t>(g));
    std::vector<std::pair<int32_t, int32_t>> p;
    for (int64_t k = 0; k < 2 * pairs; k += 2) {
      auto a = static_cast<int32_t>(uniform_below(hash64(key, static_cast<uint64_t>(k)), static_cast<uint64_t>(n)));
      auto b = static_cast<int32_t>(uniform_below(hash64(key, static_cast<uint64_t>(k + 1)), static_cast<uint64_t>(n)));
      if (a == b) continue;
      p.emplace_back(std::min(a, b), std::max(a, b));
    }
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    for (const auto& [a, b] : p) {
      const auto u = static_cast<int32_t>(first[g] + a), v = static_cast<int32_t>(first[g] + b);
      d.src.insert(d.src.end(), {u, v});
      d.dst.insert(d.dst.end(), {v, u});
    }
  }
  // Neighbour lists (incoming = outgoing: every pair goes both ways).
  std::vector<int64_t> ptr(static_cast<size_t>(N + 1), 0);
  for (int32_t i : d.dst) ++ptr[static_cast<size_t>(i) + 1];
  for (int64_t i = 0; i < N; ++i) ptr[i + 1] += ptr[i];
  std::vector<int32_t> nbr(d.src.size());
  std::vector<int64_t> fill(ptr.begin(), ptr.end() - 1);
  for (size_t e = 0; e < d.src.size(); ++e) nbr[static_cast<size_t>(fill[d.dst[e]]++)] = d.src[e];

  d.x_dense.assign(static_cast<size_t>(N * F), 0.0f);
  parallel_blocks(N, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      add_normals(hash64(derive_key(seed, kFeature), static_cast<uint64_t>(i)), &d.x_dense[static_cast<size_t>(i * F)], F);
  });
  const std::vector<double> x(d.x_dense.begin(), d.x_dense.end());
  std::vector<double> m1 = neighbour_mean(x, ptr, nbr, N, F);
  std::vector<double> m2 = neighbour_mean(m1, ptr, nbr, N, F);  // of m1 before its standardisation
  standardise_columns(m1, N, F);
  standardise_columns(m2, N, F);

  const int64_t L = o.num_labels;
  std::vector<std::vector<double>> u(L), v(L), w(L);
  std::vector<double> threshold(static_cast<size_t>(L));
  const uint64_t kproj = derive_key(seed, kProjection);
  for (int64_t l = 0; l < L; ++l) {
    u[l] = unit_vector(hash64(kproj, static_cast<uint64_t>(3 * l)), F);
    v[l] = unit_vector(hash64(kproj, static_cast<uint64_t>(3 * l + 1)), F);
    w[l] = unit_vector(hash64(kproj, static_cast<uint64_t>(3 * l + 2)), F);
    threshold[l] = 1.2 * uniform_unit(hash64(derive_key(seed, kThreshold), static_cast<uint64_t>(l)));
  }
  d.y.assign(static_cast<size_t>(N * L), 0);
  parallel_blocks(N, 256, [&](int64_t b, int64_t e) {
    std::vector<float> noise(static_cast<size_t>(L));
    for (int64_t i = b; i < e; ++i) {
      std::fill(noise.begin(), noise.end(), 0.0f);
      add_normals(hash64(derive_key(seed, kLabelNoise), static_cast<uint64_t>(i)), noise.data(), L);
      const size_t row = static_cast<size_t>(i * F);
      for (int64_t l = 0; l < L; ++l) {
        const double score = 0.5 * dot(&x[row], u[l]) + dot(&m1[row], v[l]) + dot(&m2[row], w[l]) + 0.3 * noise[l];
        d.y[static_cast<size_t>(i * L + l)] = score > threshold[l];
      }
    }
  });
  // Masks: the first graphs train, then validation, then test.
  const int64_t train_graphs = o.num_graphs - o.val_graphs - o.test_graphs;
  d.train_mask.assign(static_cast<size_t>(N), 0);
  d.val_mask.assign(static_cast<size_t>(N), 0);
  d.test_mask.assign(static_cast<size_t>(N), 0);
  for (int64_t i = 0; i < N; ++i) {
    const int64_t g = d.graph_index[i];
    (g < train_graphs ? d.train_mask : g < train_graphs + o.val_graphs ? d.val_mask : d.test_mask)[i] = 1;
  }
  check_graph_index(d, GraphIndexSources{});
  return d;
}

}  // namespace gatgrad
