// Thread-count independence end to end: the same seed trains the same GAT to the same bits with
// 1 and with 2 oneTBB threads: every loss, the logits and every parameter. The graph is big
// enough that every op takes its parallel path (several node blocks, several element blocks,
// a GEMM split across threads), with dropout on the input and on the attention.
#define BOOST_TEST_MODULE determinism
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/ops.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "models/gat.hpp"
#include "models/presets.hpp"
#include "train/trainer.hpp"
#include "nn/optim.hpp"
#include "testing.hpp"

using namespace gatgrad;

namespace {

struct Run {
  std::vector<float> losses;
  std::vector<float> logits;
  std::vector<std::vector<float>> parameters;
};

std::vector<float> floats(const Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

// Five Adam steps of the cora preset (dropout 0.6 on input and attention) with `threads` threads.
Run train(const Dataset& d, const std::string& model, int threads) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  Preset p = make_preset("cora");
  const NodeData data = prepare_node_data(d, p.model.add_self_loops);
  p.model.model = model;
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.model.seed = 7;
  GAT gat(p.model);
  nn::Adam adam = make_optimizer(gat.parameters(), p.train);
  Run r;
  for (int step = 0; step < 5; ++step) {
    gat.train();
    adam.zero_grad();
    Tensor loss = cross_entropy(gat.forward(data.x, data.graph), data.labels, data.train_rows);
    r.losses.push_back(loss.data<float>()[0]);
    backward(loss);
    adam.step();
  }
  gat.eval();
  NoGradGuard no_grad;
  r.logits = floats(gat.forward(data.x, data.graph));
  for (const Tensor& t : gat.parameters()) r.parameters.push_back(floats(t));
  return r;
}

// Bitwise equality (NaN-safe, and -0 differs from +0).
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_identical(const Dataset& d, const std::string& model) {
  const Run one = train(d, model, 1), two = train(d, model, 2);
  BOOST_TEST(same_bits(one.losses, two.losses));
  BOOST_TEST(same_bits(one.logits, two.logits));
  BOOST_REQUIRE(one.parameters.size() == two.parameters.size());
  for (size_t k = 0; k < one.parameters.size(); ++k) BOOST_TEST(same_bits(one.parameters[k], two.parameters[k]));
  // The run did train: the loss moved, so equal bits are not two copies of the initial state.
  BOOST_TEST(one.losses.front() != one.losses.back());
}

Dataset graph() {
  CsbmOptions o;
  o.num_nodes = 6000;  // 12 node blocks of 512; Wh [6000, 64] spans 24 element blocks
  o.num_edges = 60000;
  o.num_features = 96;
  o.num_classes = 5;
  o.seed = 3;
  return make_csbm(o);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gat_training_is_bit_identical_on_1_and_2_threads) { check_identical(graph(), "gat"); }

BOOST_AUTO_TEST_CASE(gatv2_training_is_bit_identical_on_1_and_2_threads) { check_identical(graph(), "gatv2"); }

// Cora's features are sparse: the sparse product, its transpose and the dropout on stored values.
BOOST_AUTO_TEST_CASE(gat_training_on_sparse_cora_is_bit_identical_on_1_and_2_threads,
                     *boost::unit_test::precondition(testing::HasDataset{"cora"})) {
  check_identical(load_dataset(testing::dataset_dir("cora")), "gat");
}
