// The op profile (autograd/profile.hpp): its calls per op kind and phase against the tape that
// recorded them, its parallel regions against loops whose regions are known, and that it
// collects nothing while off. To cover a new way of starting oneTBB work, add a case that counts
// its regions here; a new phase, a case that runs it under the profile.
#define BOOST_TEST_MODULE profile
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"
#include "autograd/profile.hpp"
#include "autograd/tape.hpp"
#include "graph/synthetic.hpp"
#include "models/gat.hpp"
#include "models/presets.hpp"
#include "nn/optim.hpp"
#include "train/trainer.hpp"

using namespace gatgrad;

namespace {

// Collection on for the scope, from zero; off again after it (the default other suites run in).
struct Collecting {
  Collecting() {
    profile::enable();
    profile::reset();
  }
  ~Collecting() { profile::enable(false); }
};

// calls of each op in `phase`
std::map<std::string, int64_t> calls(const profile::Profile& p, profile::Phase phase) {
  std::map<std::string, int64_t> c;
  for (const profile::OpStats& s : p.ops)
    if (s.phase == phase) c[s.op] += s.calls;
  return c;
}

int64_t op_regions(const profile::Profile& p) {
  int64_t r = 0;
  for (const profile::OpStats& s : p.ops) r += s.regions;
  return r;
}

// A graph of 3000 nodes: 6 node blocks of 512, and [3000, 8·8] hidden tensors of 12 element
// blocks, so that the attention and the elementwise ops take their parallel paths.
Dataset graph() {
  CsbmOptions o;
  o.num_nodes = 3000;
  o.num_edges = 30000;
  o.num_features = 48;
  o.num_classes = 4;
  o.seed = 5;
  return make_csbm(o);
}

// The cora preset's GAT of `layers` layers (dropout 0.6 on the input and the attention).
Preset preset(const Dataset& d, int64_t layers) {
  Preset p = make_preset("cora");
  p.model.layers = layers;
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  return p;
}

struct Model {
  Dataset d = graph();
  NodeData data = prepare_node_data(d, true);
  Preset p;
  GAT gat;
  nn::Adam adam;

  explicit Model(int64_t layers)
      : p(preset(d, layers)), gat(p.model), adam(make_optimizer(gat.parameters(), p.train)) {}

  // One training step; the tape's op names before backward() in `recorded` when given.
  void step(std::vector<std::string>* recorded = nullptr) {
    gat.train();
    adam.zero_grad();
    const Tensor loss = cross_entropy(gat.forward(data.x, data.graph), data.labels, data.train_rows);
    if (recorded) *recorded = tape_op_names();
    backward(loss);
    adam.step();
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_one_layer_step_counts_each_op_kind_as_the_tape_recorded_it) {
  Model m(1);
  m.step();  // warm-up, unprofiled
  std::vector<std::string> recorded;
  const Collecting on;
  m.step(&recorded);
  const profile::Profile p = profile::snapshot();
  std::map<std::string, int64_t> tape;
  for (const std::string& op : recorded) tape[op] += 1;
  // The layer's product with the input's dropout (one op, dropout_matmul: x requires no
  // gradient, so the backward draws dropout(x) again instead of keeping it), its fused
  // attention and the loss, once each.
  BOOST_TEST(tape.count("dropout") == 0);
  BOOST_TEST(tape.count("matmul") == 0);
  BOOST_TEST(tape["dropout_matmul"] == 1);
  BOOST_TEST(tape["gat_attention"] == 1);
  BOOST_TEST(tape["cross_entropy"] == 1);
  // Every record ran forward once and backward once (each one's output gets a gradient here).
  BOOST_TEST((calls(p, profile::Phase::forward) == tape));
  BOOST_TEST((calls(p, profile::Phase::backward) == tape));
  BOOST_TEST((calls(p, profile::Phase::optimizer) == std::map<std::string, int64_t>{{"adam", 1}}));
  // The forward entries come in recording order, so the loss is the last of them.
  BOOST_REQUIRE(!p.ops.empty());
  BOOST_TEST(p.ops.front().op == recorded.front());
  for (const profile::OpStats& s : p.ops) BOOST_TEST(s.seconds >= 0.0);
  double total = 0;
  for (const profile::OpStats& s : p.ops) total += s.seconds;
  BOOST_TEST(total > 0.0);

  // A second step adds the same calls again.
  m.step();
  const profile::Profile two = profile::snapshot();
  for (auto& [op, n] : tape) n *= 2;
  BOOST_TEST((calls(two, profile::Phase::backward) == tape));
}

BOOST_AUTO_TEST_CASE(two_identical_epochs_start_the_same_parallel_regions_all_charged_to_ops) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
  Model m(2);
  m.step();
  profile::Profile first, second;
  {
    const Collecting on;
    m.step();
    first = profile::snapshot();
  }
  {
    const Collecting on;
    m.step();
    second = profile::snapshot();
  }
  BOOST_TEST(first.regions > 0);
  BOOST_TEST(first.regions == second.regions);
  // Nothing parallel runs between the ops of this step, so every region is some op's.
  BOOST_TEST(op_regions(first) == first.regions);
  BOOST_TEST(op_regions(second) == second.regions);
  // The hidden layer's attention runs over 6 node blocks, forward and backward.
  for (const profile::OpStats& s : first.ops)
    if (s.op == "gat_attention") BOOST_TEST(s.regions >= 2, profile::phase_name(s.phase) << " regions " << s.regions);
}

BOOST_AUTO_TEST_CASE(each_way_of_starting_parallel_work_is_one_region) {
  const Collecting on;
  std::vector<float> x(static_cast<size_t>(3 * kBlock), 1.0f);
  parallel_blocks(static_cast<int64_t>(x.size()), kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) x[static_cast<size_t>(k)] += 1.0f;
  });
  BOOST_TEST(profile::snapshot().regions == 1);
  parallel_blocks(kBlock, kBlock, [&](int64_t, int64_t) {});  // one block: on the caller, no region
  BOOST_TEST(profile::snapshot().regions == 1);
  const double sum = deterministic_sum<double>(static_cast<int64_t>(x.size()), kBlock, [&](int64_t b, int64_t e) {
    double s = 0;
    for (int64_t k = b; k < e; ++k) s += x[static_cast<size_t>(k)];
    return s;
  });
  BOOST_TEST(sum == 6.0 * kBlock);
  BOOST_TEST(profile::snapshot().regions == 2);
  parallel_range(100, 10, [](int64_t, int64_t) {}, Partition::one_per_task);
  BOOST_TEST(profile::snapshot().regions == 3);
  // A task beside the caller counts in the total but is charged to no op.
  TaskGroup tasks;
  tasks.run([] {});
  tasks.wait();
  Tensor w = Tensor::full({16, 4}, 0.5, DType::f32);
  w.requires_grad_();
  const Tensor y = matmul(Tensor::full({8, 16}, 1.0, DType::f32), w);  // small: on the caller
  const profile::Profile p = profile::snapshot();
  BOOST_TEST(p.regions == 4);
  BOOST_TEST(op_regions(p) == 3);  // the loops above, charged to the first record after them
  BOOST_TEST((calls(p, profile::Phase::forward) == std::map<std::string, int64_t>{{"matmul", 1}}));
  tape_clear();
}

BOOST_AUTO_TEST_CASE(nothing_is_collected_while_off) {
  Model m(1);
  profile::enable(false);
  profile::reset();
  m.step();
  const profile::Profile p = profile::snapshot();
  BOOST_TEST(p.ops.empty());
  BOOST_TEST(p.regions == 0);
  BOOST_TEST(!profile::enabled());
}
