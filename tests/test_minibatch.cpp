// Mini-batch training: layers on blocks against the full graph (bit for bit when the block is the
// whole graph), layer-wise inference, the micro-batch definition of a step, thread independence,
// and gat-train's mini-batch options.
// To add a test: build a CSBM with csbm(), sample blocks with NeighborSampler from its graph
// without self-loops (then Block::add_self_loops, as training does), and compare with the
// full-graph computation on prepare_node_data's graph.
#define BOOST_TEST_MODULE minibatch
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/data/monomorphic.hpp>

#include <cstring>
#include <numeric>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/ops.hpp"
#include "graph/neighbor_sampler.hpp"
#include "graph/synthetic.hpp"
#include "models/gat.hpp"
#include "models/gat_conv.hpp"
#include "models/layerwise.hpp"
#include "train/minibatch.hpp"
#include "train/trainer.hpp"
#include "testing.hpp"

using namespace gatgrad;

namespace {

Dataset csbm(int64_t nodes = 1500, int64_t edges = 12000) {
  CsbmOptions o;
  o.num_nodes = nodes;  // several node blocks of 512
  o.num_edges = edges;
  o.num_features = 24;
  o.num_classes = 5;
  o.train_per_class = 60;
  o.val_size = 200;
  o.test_size = 200;
  o.seed = 5;
  return make_csbm(o);
}

GATConfig config(const Dataset& d, const std::string& model) {
  GATConfig c;
  c.model = model;
  c.in_features = d.num_features;
  c.num_classes = d.num_classes;
  c.seed = 3;
  return c;  // the paper's dropout 0.6 on inputs and attention
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data<float>(), b.data<float>(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

std::vector<int32_t> iota_ids(int64_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::vector<Block> with_self_loops(std::vector<Block> blocks) {
  for (Block& b : blocks) b = b.add_self_loops();
  return blocks;
}

// Logits and parameter gradients of one training forward (dropout on) at dropout position 0.
struct Pass {
  Tensor logits;
  std::vector<Tensor> grads;
};
template <class Forward>
Pass train_pass(GAT& model, const std::vector<int64_t>& labels, Forward&& forward) {
  model.train();
  model.set_dropout_position(0);
  for (const Tensor& p : model.parameters()) p.zero_grad();
  Pass r;
  r.logits = forward();
  backward(cross_entropy(r.logits, labels));
  for (const Tensor& p : model.parameters()) r.grads.push_back(p.grad().clone());
  r.logits = r.logits.detach();
  return r;
}

void block_equals_full_graph(const std::string& model_name) {
  const Dataset d = csbm();
  const NodeData full = prepare_node_data(d, true);
  const NodeData sampling = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  // Every node a seed, every neighbour taken: one block per layer that is the whole graph.
  NeighborSampler all({-1, -1});
  const std::vector<int32_t> seeds = iota_ids(d.num_nodes);
  const std::vector<Block> blocks = with_self_loops(all.sample(sampling.graph, seeds, {}));
  BOOST_TEST_REQUIRE(blocks[0].num_src_nodes() == d.num_nodes);
  GAT model(config(d, model_name));
  const Pass a = train_pass(model, d.y, [&] { return model.forward(full.x, full.graph); });
  const Pass b = train_pass(model, d.y, [&] { return model.forward(gather_rows(sampling.x, blocks[0].src_global), blocks); });
  BOOST_TEST(same_bits(a.logits, b.logits));
  for (size_t k = 0; k < a.grads.size(); ++k) BOOST_TEST(same_bits(a.grads[k], b.grads[k]), "gradient " << k);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gat_on_one_block_that_is_the_whole_graph_is_bit_identical) { block_equals_full_graph("gat"); }

BOOST_AUTO_TEST_CASE(gatv2_on_one_block_that_is_the_whole_graph_is_bit_identical) { block_equals_full_graph("gatv2"); }

// Seeds with every neighbour at both hops: their logits are the full graph's rows (rounding
// apart: the products run over other row sets), on genuinely bipartite blocks (S > D).
BOOST_AUTO_TEST_CASE(seeds_with_their_whole_two_hop_neighbourhood_get_the_full_graph_logits) {
  const Dataset d = csbm();
  const NodeData full = prepare_node_data(d, true);
  const NodeData sampling = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  for (const std::string name : {"gat", "gatv2"}) {
    GAT model(config(d, name));
    model.eval();
    NoGradGuard no_grad;
    const Tensor want = model.forward(full.x, full.graph);
    const std::vector<int32_t> seeds = {17, 3, 1200, 640, 999};
    NeighborSampler all({-1, -1});
    const std::vector<Block> blocks = with_self_loops(all.sample(sampling.graph, seeds, {}));
    BOOST_TEST_REQUIRE(blocks[1].num_src_nodes() > blocks[1].num_dst_nodes());
    const Tensor got = model.forward(gather_rows(sampling.x, blocks[0].src_global), blocks);
    BOOST_TEST_REQUIRE(got.size(0) == 5);
    for (size_t r = 0; r < seeds.size(); ++r)
      for (int64_t c = 0; c < d.num_classes; ++c)
        BOOST_TEST(got.at({static_cast<int64_t>(r), c}) == want.at({seeds[r], c}), boost::test_tools::tolerance(1e-5));
  }
}

// The fused layer on a sampled block equals the paper's equations op by op, with dropout.
BOOST_AUTO_TEST_CASE(fused_layer_on_a_sampled_block_equals_the_composed_ops) {
  const Dataset d = csbm();
  const NodeData sampling = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  NeighborSampler sampler({5});
  const std::vector<Block> blocks = with_self_loops(sampler.sample(sampling.graph, std::vector<int32_t>{4, 8, 15, 16, 23, 42}, {1, 2, 3}));
  AttentionLayerOptions o;
  o.in_features = d.num_features;
  o.out_features = 8;
  o.heads = 8;
  o.dropout = o.attn_dropout = 0.5;
  o.seed = 9;
  GATConv conv(o);
  const Tensor x = gather_rows(sampling.x, blocks[0].src_global).dense;
  conv.set_counter("rng_counter", 0);
  const Tensor fused = conv.forward(x, blocks[0].graph);
  conv.set_counter("rng_counter", 0);
  const Tensor composed = conv.forward_composed(x, blocks[0].graph);
  BOOST_TEST(fused.size(0) == 6);
  BOOST_TEST(same_bits(fused, composed));
}

// Also for a deeper model: each hidden layer over every node, then the last over the rows.
BOOST_DATA_TEST_CASE(layerwise_inference_equals_the_full_graph_forward, boost::unit_test::data::make({1, 2, 3}), layers) {
  const Dataset d = csbm();
  const NodeData full = prepare_node_data(d, true);
  const NodeData sampling = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  GATConfig c = config(d, "gat");
  c.layers = layers;
  c.residual = layers == 3;
  GAT model(c);
  model.eval();
  Tensor want;
  {
    NoGradGuard no_grad;
    want = model.forward(full.x, full.graph);
  }
  const std::vector<int32_t> rows = {1499, 0, 700, 701, 3};
  const Tensor got = layerwise_logits(model, sampling.x, *sampling.neighbors, rows, 333);  // chunks of 333
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t c = 0; c < d.num_classes; ++c)
      BOOST_TEST(got.at({static_cast<int64_t>(r), c}) == want.at({rows[r], c}), boost::test_tools::tolerance(1e-5));
  // and the evaluation of mini-batch data is that inference
  const Evaluation e = evaluate(model, sampling, full.val_rows);
  const Evaluation f = evaluate(model, full, full.val_rows);
  BOOST_TEST(e.accuracy == f.accuracy);
  BOOST_TEST(e.loss == f.loss, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(the_epoch_order_and_the_parts_of_a_batch) {
  const std::vector<int64_t> rows = {9, 4, 7, 1, 30, 22, 5};
  const std::vector<int32_t> a = shuffle_rows(rows, 1, 1), b = shuffle_rows(rows, 1, 2);
  BOOST_TEST(a == shuffle_rows(rows, 1, 1));  // a function of (seed, epoch)
  BOOST_TEST(a != b);
  std::vector<int32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  BOOST_TEST(sorted == (std::vector<int32_t>{1, 4, 5, 7, 9, 22, 30}));  // a permutation
  // 7 items in 3 parts: 3, 2, 2
  BOOST_TEST((part_range(7, 3, 0) == std::pair<int64_t, int64_t>{0, 3}));
  BOOST_TEST((part_range(7, 3, 1) == std::pair<int64_t, int64_t>{3, 5}));
  BOOST_TEST((part_range(7, 3, 2) == std::pair<int64_t, int64_t>{5, 7}));
  BOOST_TEST((part_range(2, 4, 3) == std::pair<int64_t, int64_t>{2, 2}));  // empty
}

// A step's gradient is the sum, in micro-batch order, of gradients each computed whole: the
// micro-batches computed apart, in reverse order, by another model with the same parameters
// (as another process would, #18), and added in order, give the pipeline's step bit for bit.
BOOST_AUTO_TEST_CASE(micro_batches_computed_apart_and_summed_in_order_give_the_same_step) {
  const Dataset d = csbm();
  const NodeData data = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  TrainConfig tc;
  tc.batch_size = 100;
  tc.micro_batches = 3;
  GAT model(config(d, "gat"));
  BatchPipeline pipeline(data, *data.neighbors, tc, 3, true);
  pipeline.start_epoch(2);
  pipeline.next();
  const Batch batch = pipeline.next();  // epoch 2, step 1: through the prefetching task
  const Batch again = pipeline.prepare(2, 1);  // the same step prepared on this thread
  BOOST_TEST_REQUIRE(batch.parts.size() == 3u);
  for (size_t m = 0; m < 3; ++m) {
    BOOST_TEST(batch.parts[m].seeds == again.parts[m].seeds);
    BOOST_TEST(batch.parts[m].blocks[0].src_global == again.parts[m].blocks[0].src_global);
  }
  const uint64_t steps_before = 7;
  batch_gradients(model, data, batch, 3, steps_before);
  std::vector<Tensor> want;
  for (const Tensor& p : model.parameters()) want.push_back(p.grad().clone());

  GAT other(config(d, "gat"));  // same seed: the same parameters
  std::vector<std::vector<Tensor>> parts(3);
  for (int m = 2; m >= 0; --m) {
    Batch one;
    one.num_seeds = batch.num_seeds;
    one.parts.resize(3);
    one.parts[static_cast<size_t>(m)] = again.parts[static_cast<size_t>(m)];
    batch_gradients(other, data, one, 3, steps_before);  // only part m: its position's masks
    for (const Tensor& p : other.parameters()) parts[static_cast<size_t>(m)].push_back(p.grad().clone());
  }
  for (size_t k = 0; k < want.size(); ++k) {
    Tensor sum = parts[0][k].clone();
    for (size_t m = 1; m < 3; ++m) {
      float* s = sum.data<float>();
      const float* g = parts[m][k].data<float>();
      for (int64_t i = 0; i < sum.numel(); ++i) s[i] += g[i];
    }
    BOOST_TEST(same_bits(sum, want[k]), "parameter " << k);
  }
}

namespace {

struct MiniBatchRun {
  std::vector<double> losses;
  std::vector<Tensor> parameters;
};

MiniBatchRun train_minibatch(const Dataset& d, const std::string& model_name, int threads, int64_t micro_batches) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  const NodeData data = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  TrainConfig tc;
  tc.max_epochs = 3;
  tc.batch_size = 64;  // 300 training nodes: 5 steps per epoch, the last of 44
  tc.micro_batches = micro_batches;
  tc.eval_chunk = 500;
  GAT model(config(d, model_name));
  const TrainResult r = train_node_classifier(model, data, tc);
  MiniBatchRun run;
  for (const EpochStats& s : r.history) run.losses.insert(run.losses.end(), {s.train_loss, s.val_loss, s.val_accuracy});
  for (const Tensor& p : model.parameters()) run.parameters.push_back(p.clone());
  return run;
}

void check_thread_independence(const std::string& model_name, int64_t micro_batches) {
  const Dataset d = csbm(3000, 24000);
  const MiniBatchRun one = train_minibatch(d, model_name, 1, micro_batches);
  const MiniBatchRun two = train_minibatch(d, model_name, 2, micro_batches);
  BOOST_TEST(one.losses == two.losses, boost::test_tools::per_element());
  for (size_t k = 0; k < one.parameters.size(); ++k) BOOST_TEST(same_bits(one.parameters[k], two.parameters[k]));
  BOOST_TEST(one.losses.front() != one.losses[one.losses.size() - 3]);  // it trained
}

}  // namespace

BOOST_AUTO_TEST_CASE(gat_minibatch_training_is_bit_identical_on_1_and_2_threads) { check_thread_independence("gat", 1); }

BOOST_AUTO_TEST_CASE(gatv2_minibatch_training_with_micro_batches_is_bit_identical_on_1_and_2_threads) {
  check_thread_independence("gatv2", 3);
}

BOOST_AUTO_TEST_CASE(micro_batches_change_the_step_but_not_its_determinism) {
  const Dataset d = csbm(3000, 24000);
  const MiniBatchRun m1 = train_minibatch(d, "gat", 2, 1), m2 = train_minibatch(d, "gat", 2, 2);
  BOOST_TEST(m1.losses != m2.losses);  // M is part of the definition of a step
  BOOST_TEST(train_minibatch(d, "gat", 2, 2).losses == m2.losses, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rows_of_features_gathered_dense_and_sparse_agree) {
  const Tensor dense = Tensor::from_vector({1, 0, 2, 0, 0, 3, 4, 0, 0, 5, 0, 6}, {4, 3});
  CsrMatrix m;
  m.rows = 4;
  m.cols = 3;
  m.indptr = {0, 2, 3, 4, 6};
  m.indices = {0, 2, 2, 0, 0, 2};
  m.values = {1, 2, 3, 4, 5, 6};
  const SparseFeatures sparse(m);
  const std::vector<int32_t> ids = {3, 0, 3, 2};
  const InputFeatures a = gather_rows(dense, ids), b = gather_rows(sparse, ids);
  BOOST_TEST(same_bits(a.dense, sparse_to_dense(b.sparse)));
  BOOST_TEST(a.dense.at({0, 2}) == 6.0);
  BOOST_TEST(same_bits(sparse_to_dense(first_rows(InputFeatures(sparse), 2).sparse), slice(dense, 0, 0, 2)));
  BOOST_CHECK_EXCEPTION(gather_rows(dense, std::vector<int32_t>{1, 4}), DataError,
                        testing::message_has({"node id 4", "position 1"}));
}

BOOST_AUTO_TEST_CASE(bad_mini_batch_settings_are_usage_errors) {
  TrainConfig c;
  c.batch_size = 4;
  c.micro_batches = 5;
  BOOST_CHECK_EXCEPTION(c.validate(), UsageError, testing::message_has({"micro_batches", "batch_size"}));
  c.micro_batches = 1;
  c.fanout = {10};
  BOOST_CHECK_NO_THROW(c.validate());  // a 1-layer model's fanout
  BOOST_CHECK_EXCEPTION(c.validate_for(GATConfig{}), UsageError, testing::message_has({"fanout", "2-layer"}));
  GATConfig three;
  three.layers = 3;
  c.fanout = {10, 10, 10};
  BOOST_CHECK_NO_THROW(c.validate_for(three));
  c.fanout = {10, -2};
  BOOST_CHECK_EXCEPTION(c.validate(), UsageError, testing::message_has({"fanout", "-2"}));
  const Dataset d = csbm();
  GAT model(config(d, "gat"));
  TrainConfig mb;
  mb.batch_size = 8;
  BOOST_CHECK_EXCEPTION(train_node_classifier(model, prepare_node_data(d, true), mb), Error,
                        testing::message_has({"GraphUse::sampling"}));
  const auto r = testing::run({testing::bin_path("gat-train"), "--fanout", "5,5"});
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.err.find("--batch-size") != std::string::npos, r.err);
}

// gat-train in mini-batch mode end to end: the options, the summary line, the outputs.
// A 3-layer model trains on 3 blocks per micro-batch, its fanout one entry per layer.
BOOST_AUTO_TEST_CASE(a_three_layer_model_trains_in_mini_batches) {
  const Dataset d = csbm();
  const NodeData data = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  GATConfig c = config(d, "gat");
  c.layers = 3;
  c.residual = true;
  GAT model(c);
  TrainConfig tc;
  tc.batch_size = 64;
  tc.fanout = {5, 5, 5};
  tc.max_epochs = 8;
  const TrainResult r = train_node_classifier(model, data, tc);
  BOOST_TEST(r.history.back().train_loss < r.history.front().train_loss);
  BOOST_TEST(r.test.accuracy > 0.5);  // 5 classes: chance is 0.2
}

BOOST_AUTO_TEST_CASE(gat_train_trains_in_mini_batches) {
  testing::TempDir dir("minibatch");
  const auto r = testing::run({testing::bin_path("gat-train"), "--batch-size", "32", "--fanout", "5,-1",
                               "--micro-batches", "2", "--epochs", "20", "--threads", "2", "--metrics-json",
                               dir / "m.json", "--predict-out", dir / "p.npy"},
                              120);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  BOOST_TEST(r.out.find("mini-batches of 32 seeds, fanout 5,-1, 2 micro-batches per step, 4 steps per epoch") !=
                 std::string::npos,
             r.out);
  const NpyArray p = load_npy(dir / "p.npy");
  BOOST_TEST((p.shape == std::vector<int64_t>{2000, 5}));
  const std::string metrics = testing::read_file(dir / "m.json");
  BOOST_TEST(metrics.find("\"test_accuracy\"") != std::string::npos);
}
