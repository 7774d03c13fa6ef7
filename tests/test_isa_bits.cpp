// The same bits on every CPU: training runs whose losses, logits and parameters hash to constants
// committed here, on every instruction-set level with FMA (avx2, avx512, neon: natively, or under
// qemu), and within 1e-5 of them on the x86-64 baseline (sse2, whose multiply-adds round twice):
// of the FMA levels' run in the same process, or, on a CPU without FMA (qemu-x86), of the run's
// committed fingerprint (a few of its numbers, which the FMA levels check exactly).
// Every level the build has and the CPU runs is tried in this one process (kernels::use_isa).
// To add a case: write a function returning a Run (below), run the test once, and commit the
// hash and the fingerprint it prints; they may change only with a change of the arithmetic,
// said in the commit.
#define BOOST_TEST_MODULE isa_bits
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/kernels/gemm.hpp"
#include "autograd/isa.hpp"
#include "autograd/ops.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/trainer.hpp"
#include "nn/optim.hpp"
#include "testing.hpp"

using namespace gatgrad;
namespace kn = gatgrad::kernels;

namespace {

// The numbers a run ends with, tensor by tensor.
using Run = std::vector<std::vector<float>>;

std::vector<float> floats(const Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

// FNV-1a over the bytes of every float, in order.
uint64_t hash_of(const Run& run) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& v : run) {
    const auto* b = reinterpret_cast<const unsigned char*>(v.data());
    for (size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  return h;
}

// How far run a is from run b: the largest of max|a - b| / max|b| over each part (a part: the
// losses, the logits, all the parameters together as one vector).
double relative_difference(const Run& a, const Run& b, size_t parts) {
  double worst = 0;
  for (size_t part = 0; part < parts; ++part) {
    const size_t first = part, last = part + 1 < parts ? part + 1 : a.size();
    double scale = 1e-30, diff = 0;
    for (size_t k = first; k < last; ++k)
      for (size_t i = 0; i < a[k].size(); ++i) {
        scale = std::max(scale, std::abs(static_cast<double>(b[k][i])));
        diff = std::max(diff, std::abs(static_cast<double>(a[k][i]) - b[k][i]));
      }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

// Four Adam steps of a GAT with dropout 0.6 on the input and the attention: the losses, then the
// logits in evaluation mode, then every parameter.
Run train(const Dataset& d, const std::string& model, int64_t heads, int64_t hidden, int64_t out_heads) {
  Preset p = make_preset("cora");
  const NodeData data = prepare_node_data(d, p.model.add_self_loops);
  p.model.model = model;
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.model.heads = heads;
  p.model.hidden = hidden;
  p.model.out_heads = out_heads;
  p.model.seed = 11;
  GAT gat(p.model);
  nn::Adam adam = make_optimizer(gat.parameters(), p.train);
  Run run(1);
  for (int step = 0; step < 4; ++step) {
    gat.train();
    adam.zero_grad();
    Tensor loss = cross_entropy(gat.forward(data.x, data.graph), data.labels, data.train_rows);
    run[0].push_back(loss.data<float>()[0]);
    backward(loss);
    adam.step();
  }
  gat.eval();
  NoGradGuard no_grad;
  run.push_back(floats(gat.forward(data.x, data.graph)));
  for (const Tensor& t : gat.parameters()) run.push_back(floats(t));
  return run;
}

// A graph with in-degrees (self-loop included) from 1 to well over 16, so every segment length
// of every attention path runs: one head (8- and 16-lane segments, longer ones in chunks), 8
// heads of 8 features, and the general path; dense features through the tiled and narrow GEMMs.
Dataset synthetic(int64_t classes) {
  CsbmOptions o;
  o.num_nodes = 2500;
  o.num_edges = 50000;
  o.num_features = 40;
  o.num_classes = classes;
  o.seed = 5;
  return make_csbm(o);
}

// A GEMM of every path: tiled (with edge tiles and the 8×8 packing transposes), narrow, and
// split-K (a long K into a small C), transposed operands, beta 0, 1 and another.
Run gemms() {
  Run run;
  auto product = [&](bool ta, bool tb, int64_t M, int64_t N, int64_t K, float beta) {
    std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(K * N)), C(static_cast<size_t>(M * N));
    for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<float>((i * 7919 % 1000) / 500.0 - 1.0);
    for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>((i * 104729 % 997) / 498.5 - 1.0);
    for (size_t i = 0; i < C.size(); ++i) C[i] = static_cast<float>((i * 31 % 101) / 50.5 - 1.0);
    kn::gemm<float>(ta, tb, M, N, K, 0.75f, A.data(), ta ? M : K, B.data(), tb ? K : N, beta, C.data(), N);
    run.push_back(C);
  };
  product(false, false, 101, 77, 300, 0.0f);
  product(true, false, 64, 40, 1000, 1.0f);
  product(false, true, 45, 33, 257, 0.5f);
  product(false, false, 300, 7, 600, 0.0f);    // narrow
  product(true, false, 64, 8, 20000, 0.0f);    // split-K
  product(true, true, 16, 24, 17000, 0.25f);   // split-K, both transposed
  return run;
}

// A few numbers of a run that a constant here can hold: for each part (as relative_difference
// cuts the run), its largest |value| and its values at four spread positions.
std::vector<float> fingerprint(const Run& run, size_t parts) {
  std::vector<float> f;
  for (size_t part = 0; part < parts; ++part) {
    std::vector<float> v;
    const size_t first = part, last = part + 1 < parts ? part + 1 : run.size();
    for (size_t k = first; k < last; ++k) v.insert(v.end(), run[k].begin(), run[k].end());
    float largest = 0;
    for (float x : v) largest = std::max(largest, std::abs(x));
    f.push_back(largest);
    for (size_t i = 0; i < 4; ++i) f.push_back(v[(v.size() - 1) * i / 3]);
  }
  return f;
}

// "{1.5f, -0.25f, ...}": a fingerprint as it is committed.
std::string as_code(const std::vector<float>& f) {
  std::string s = "{";
  char buf[32];
  for (size_t i = 0; i < f.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.9gf", static_cast<double>(f[i]));
    s += (i ? ", " : "") + std::string(buf);
  }
  return s + "}";
}

// How far fingerprint a is from the committed b, as relative_difference measures runs.
double fingerprint_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t part = 0; part + 5 <= b.size(); part += 5)
    for (size_t i = 1; i < 5; ++i)
      worst = std::max(worst, std::abs(static_cast<double>(a[part + i]) - b[part + i]) / std::max(1e-30, static_cast<double>(b[part])));
  return worst;
}

struct Case {
  const char* name;
  Run (*run)();
  uint64_t expected;  // on every level with FMA
  size_t parts;       // see relative_difference: 3 for training runs, one per product for GEMMs
  std::vector<float> expected_fingerprint;  // of the FMA levels' run (fingerprint)
};

Run gat_synthetic() { return train(synthetic(5), "gat", 8, 8, 1); }
Run gat_general_paths() { return train(synthetic(12), "gat", 3, 5, 2); }
Run gat_one_head_wide() { return train(synthetic(12), "gat", 2, 16, 1); }
Run gatv2_synthetic() { return train(synthetic(5), "gatv2", 8, 8, 1); }
Run gat_sparse_cora() { return train(load_dataset(testing::dataset_dir("cora")), "gat", 8, 8, 1); }

// Runs `c` on every level this build has and the CPU runs.
void check_on_every_level(const Case& c) {
  BOOST_TEST(c.expected_fingerprint.size() == 5 * c.parts, c.name << ": its fingerprint is not committed");
  const kn::Isa before = kn::active_isa();
  Run fma_run;
  bool have_fma_run = false;
  std::vector<std::pair<kn::Isa, Run>> unfused;
  for (kn::Isa isa : kn::compiled_isas()) {
    if (!kn::cpu_supports(isa)) {
      BOOST_TEST_MESSAGE(c.name << ": " << kn::isa_name(isa) << " not run (this CPU lacks it)");
      continue;
    }
    kn::use_isa(isa);
    const Run run = c.run();
    const uint64_t h = hash_of(run);
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%016llx", static_cast<unsigned long long>(h));
    BOOST_TEST_MESSAGE(c.name << ": " << kn::isa_name(isa) << " hash " << hex);
    if (isa == kn::Isa::sse2) {
      unfused.emplace_back(isa, run);
      continue;
    }
    BOOST_TEST(fingerprint(run, c.parts) == c.expected_fingerprint,
               c.name << " on " << kn::isa_name(isa) << ": fingerprint " << as_code(fingerprint(run, c.parts)));
    BOOST_TEST(h == c.expected, c.name << " on " << kn::isa_name(isa) << ": hash " << hex << ", the committed one is "
                                       << [&] {
                                            char e[32];
                                            std::snprintf(e, sizeof e, "0x%016llx", static_cast<unsigned long long>(c.expected));
                                            return std::string(e);
                                          }());
    if (!have_fma_run) fma_run = run, have_fma_run = true;
  }
  for (const auto& [isa, run] : unfused) {
    // A CPU without FMA has no FMA run to compare with: the committed fingerprint of one stands in
    // (checked on every CPU, so that the comparison qemu-x86 relies on is tried natively too).
    const double to_fingerprint = fingerprint_difference(fingerprint(run, c.parts), c.expected_fingerprint);
    const double d = have_fma_run ? std::max(relative_difference(run, fma_run, c.parts), to_fingerprint) : to_fingerprint;
    const char* against = have_fma_run ? "the FMA levels' result and fingerprint" : "the FMA levels' committed fingerprint";
    BOOST_TEST_MESSAGE(c.name << ": " << kn::isa_name(isa) << " differs by " << d << " (relative) from " << against);
    BOOST_TEST(d <= 1e-5, c.name << " on " << kn::isa_name(isa) << " is " << d << " from " << against);
  }
  kn::use_isa(before);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gat_8x8_heads_one_output_head) {
  check_on_every_level({"gat_synthetic", &gat_synthetic, 0xab91fd057df71613ull, 3,
                        {2.72576737f, 2.39646435f, 2.72576737f, 1.99460828f, 1.74458015f, 0.660916626f, 0.031166425f, -0.432617664f, 0.388927758f, 0.0587645955f, 0.559998393f, -0.00821206626f, -0.217515424f, -0.114425592f, -0.11044237f}});
}
BOOST_AUTO_TEST_CASE(gat_general_attention_path) {
  check_on_every_level({"gat_general_paths", &gat_general_paths, 0x46cfce5188623f55ull, 3,
                        {5.97071457f, 5.97071457f, 4.24407816f, 3.6202879f, 3.63221359f, 1.19656765f, 0.105284736f, 0.112349808f, -0.212745264f, 0.16213122f, 0.652310312f, -0.0192834344f, 0.0458224267f, 0.358620971f, 0.0172374453f}});
}
BOOST_AUTO_TEST_CASE(gat_one_head_of_16_features) {
  check_on_every_level({"gat_one_head_wide", &gat_one_head_wide, 0x6bbbdb722bf2b009ull, 3,
                        {3.37578607f, 3.37578607f, 3.00476193f, 3.01615715f, 2.93727565f, 1.47884262f, 0.517441154f, 0.548849881f, -0.074429132f, -0.33488667f, 0.455419898f, -0.0175281912f, -0.0526855513f, 0.0974279195f, 0.455419898f}});
}
BOOST_AUTO_TEST_CASE(gatv2_composed_ops) {
  check_on_every_level({"gatv2_synthetic", &gatv2_synthetic, 0x3419cfb27b7ea75full, 3,
                        {2.18799591f, 2.18799591f, 2.03100801f, 1.99703145f, 1.81244659f, 0.899798036f, 0.150835708f, 0.233827844f, 0.113678023f, 0.158431143f, 0.719955027f, -0.00236085989f, 0.112692505f, 0.139324024f, 0.171008885f}});
}
BOOST_AUTO_TEST_CASE(gemm_every_path) { check_on_every_level({"gemms", &gemms, 0x57f80b2062f5d79bull, 6,
                        {4.10978603f, 0.50249809f, 1.73716784f, -2.51092482f, 3.29582644f, 15.8260031f, -1.87244773f, -6.60537815f, -3.7730968f, 4.10193491f, 5.32398653f, 1.42572224f, 1.7717855f, -3.53597498f, 3.42106009f, 7.55185699f, -4.76262808f, -2.43225956f, -2.43225956f, -2.43225956f, 6.55123186f, 1.90142512f, 3.33301258f, -1.67314816f, -0.152925968f, 9.38917732f, 3.20969582f, 2.32389569f, 4.90120602f, 1.92823565f}}); }
BOOST_AUTO_TEST_CASE(gat_on_sparse_cora, *boost::unit_test::precondition(testing::HasDataset{"cora"})) {
  check_on_every_level({"gat_sparse_cora", &gat_sparse_cora, 0x0ef3c991e3fc743dull, 3,
                        {1.94397306f, 1.94397306f, 1.94088578f, 1.93434346f, 1.92228031f, 0.0831599385f, 0.00154967979f, 0.00650236709f, 0.0372482911f, -0.0196154751f, 0.480655938f, 0.00980678946f, 0.0152884945f, 0.00652660616f, -0.158708438f}});
}
