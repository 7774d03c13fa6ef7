// Link prediction end to end on the synthetic CSBM graph: the graphs the encoder attends over
// (the leakage test), training steps full batch and in mini-batches (PyG's LinkNeighborLoader),
// their independence of the thread count, and that training learns the graph's links.
// To add a test: prepare_link_data on small_graph(), train with train_epochs(), check the metric.
#define BOOST_TEST_MODULE link_training
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "graph/synthetic.hpp"
#include "io/npy.hpp"
#include "train/link_model.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"
#include "testing.hpp"

using namespace gatgrad;

namespace {

Dataset small_graph() {
  CsbmOptions o;
  o.num_nodes = 400;
  o.num_classes = 10;
  o.avg_degree = 8;
  o.homophily = 0.9;
  o.num_features = 16;
  o.signal = 2.0;
  o.seed = 5;
  o.train_per_class = 5;
  o.val_size = 30;
  o.test_size = 30;
  return make_csbm(o);
}

GATConfig encoder_config(const Dataset& d) {
  GATConfig m;
  m.in_features = d.num_features;
  m.embedding_dim = 16;
  m.hidden = 8;
  m.heads = 2;
  m.dropout = 0;
  m.attn_dropout = 0;
  m.seed = 3;
  return m;
}

// `epochs` epochs of the training loop (train/loop.hpp) with the steps make_steps gives,
// without early stopping; returns the parameters after training.
std::vector<Tensor> train_epochs(LinkModel& model, const LinkData& data, TrainConfig config, int64_t epochs) {
  config.max_epochs = epochs;
  config.patience = epochs;
  const std::unique_ptr<LinkSteps> steps = make_steps(model, data, config);
  nn::Adam adam = make_optimizer(model.parameters(), config);
  TrainState state;
  const TrainResult r = train(*steps, adam, state, config, {}, best_score_early_stopping);
  BOOST_TEST(r.epochs_run == epochs);
  std::vector<Tensor> out;
  for (const Tensor& p : model.parameters()) out.push_back(p.clone());
  return out;
}

bool same_bits(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k].numel() != b[k].numel() ||
        std::memcmp(a[k].data<float>(), b[k].data<float>(), static_cast<size_t>(a[k].numel()) * sizeof(float)) != 0)
      return false;
  return true;
}

using PairSet = std::set<std::pair<int32_t, int32_t>>;
PairSet undirected(const NodePairs& p) {
  PairSet s;
  for (int64_t k = 0; k < p.size(); ++k) {
    const int32_t u = p.src[static_cast<size_t>(k)], v = p.dst[static_cast<size_t>(k)];
    s.insert({std::min(u, v), std::max(u, v)});
  }
  return s;
}

// How many edges of g (either direction) join a pair of `held_out`.
int64_t edges_in(const Graph& g, const PairSet& held_out) {
  int64_t n = 0;
  for (int64_t e = 0; e < g.num_edges(); ++e) {
    const int32_t u = g.src()[static_cast<size_t>(e)], v = g.dst()[static_cast<size_t>(e)];
    n += held_out.count({std::min(u, v), std::max(u, v)}) > 0;
  }
  return n;
}

}  // namespace

// The leakage test: the graph each stage's encoder attends over (message_graph, what the steps,
// the evaluation and gat-train read), full batch and prepared for sampling, holds no test pair,
// and no validation pair before the test; the test graph does hold the validation pairs.
BOOST_AUTO_TEST_CASE(no_held_out_edge_reaches_the_encoder) {
  const Dataset d = small_graph();
  for (const GraphUse use : {GraphUse::full_batch, GraphUse::sampling}) {
    const LinkData data = prepare_link_data(d, split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 1), true, DType::f32, use);
    const PairSet val = undirected(data.split.val), test = undirected(data.split.test);
    BOOST_TEST(!val.empty());
    for (const LinkStage stage : {LinkStage::train, LinkStage::val})
      BOOST_TEST(edges_in(message_graph(data, stage).graph, val) + edges_in(message_graph(data, stage).graph, test) == 0);
    BOOST_TEST(edges_in(message_graph(data, LinkStage::test).graph, test) == 0);
    BOOST_TEST(edges_in(message_graph(data, LinkStage::test).graph, val) == 2 * data.split.val.size());
    if (use == GraphUse::sampling) {  // the lists the sampler and the layer-wise inference read
      for (const LinkStage stage : {LinkStage::train, LinkStage::val, LinkStage::test}) {
        const IncomingLists lists = message_graph(data, stage).neighbors->incoming({});
        int64_t val_edges = 0, test_edges = 0;
        for (int32_t i = 0; i < d.num_nodes; ++i)
          for (int64_t k = lists.ptr[static_cast<size_t>(i)]; k < lists.ptr[static_cast<size_t>(i) + 1]; ++k) {
            const int32_t j = lists.neighbors[static_cast<size_t>(k)];
            val_edges += val.count({std::min(i, j), std::max(i, j)}) > 0;
            test_edges += test.count({std::min(i, j), std::max(i, j)}) > 0;
          }
        BOOST_TEST(test_edges == 0);
        BOOST_TEST(val_edges == (stage == LinkStage::test ? 2 * data.split.val.size() : 0));
      }
    }
  }
}

// Both ways of training learn the links of the CSBM graph: 90% of its edges join two nodes of
// one class, 10% of random pairs do, and the features tell the classes; knowing the classes
// alone would give an AUC of 0.9 * 0.9 + (0.9 * 0.1 + 0.1 * 0.9) / 2 = 0.90.
BOOST_AUTO_TEST_CASE(training_learns_the_links_of_the_synthetic_graph) {
  const Dataset d = small_graph();
  for (const int64_t batch : {int64_t{0}, int64_t{256}}) {
    TrainConfig config;
    config.lr = 0.01;
    config.weight_decay = 0;
    config.batch_size = batch;
    if (batch > 0) config.fanout = {5, 5};  // (a mini-batch setting: validate() refuses it without batch_size)
    const GraphUse use = batch > 0 ? GraphUse::sampling : GraphUse::full_batch;
    const LinkData data = prepare_link_data(d, split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 1), true, DType::f32, use);
    LinkModel model(encoder_config(d));
    const double before = evaluate_links(model, data, LinkStage::test, 10).auc;
    train_epochs(model, data, config, 30);
    const LinkEvaluation test = evaluate_links(model, data, LinkStage::test, 10);
    BOOST_TEST_MESSAGE("batch " << batch << ": test AUC " << before << " -> " << test.auc << ", AP " << test.ap);
    BOOST_TEST(test.auc > 0.8);
    BOOST_TEST(test.auc > before + 0.1);
  }
}

// Negatives, order, samples and sums keyed so that 1 and 2 threads give the same parameters,
// with the MLP decoder and dropout on.
BOOST_AUTO_TEST_CASE(steps_do_not_depend_on_the_thread_count) {
  const Dataset d = small_graph();
  GATConfig m = encoder_config(d);
  m.dropout = 0.2;
  m.attn_dropout = 0.2;
  m.decoder = "mlp";
  m.mlp_hidden = 8;
  for (const int64_t batch : {int64_t{0}, int64_t{200}}) {
    TrainConfig config;
    config.batch_size = batch;
    if (batch > 0) config.fanout = {4, 4};
    const GraphUse use = batch > 0 ? GraphUse::sampling : GraphUse::full_batch;
    const LinkData data = prepare_link_data(d, split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 2), true, DType::f32, use);
    std::vector<Tensor> one, two;
    {
      tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
      LinkModel model(m);
      one = train_epochs(model, data, config, 3);
    }
    {
      tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
      LinkModel model(m);
      two = train_epochs(model, data, config, 3);
    }
    BOOST_TEST(same_bits(one, two));
  }
}

// Edge features reach the encoder: each message edge carries its dataset edge's row (the loops
// filled), full batch and sampled, and both train with an encoder that reads them.
BOOST_AUTO_TEST_CASE(edge_features_follow_the_message_edges) {
  CsbmOptions o;
  o.num_nodes = 200;
  o.num_features = 8;
  o.edge_dim = 3;
  o.seed = 9;
  o.train_per_class = 5;
  o.val_size = 20;
  o.test_size = 20;
  const Dataset d = make_csbm(o);
  GATConfig m = encoder_config(d);
  m.edge_dim = 3;
  for (const int64_t batch : {int64_t{0}, int64_t{100}}) {
    TrainConfig config;
    config.batch_size = batch;
    if (batch > 0) config.fanout = {3, 3};
    const GraphUse use = batch > 0 ? GraphUse::sampling : GraphUse::full_batch;
    const LinkData data = prepare_link_data(d, split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 4), true, DType::f32, use);
    for (const LinkStage stage : {LinkStage::train, LinkStage::test}) {
      const MessageGraph& g = message_graph(data, stage);
      BOOST_TEST(g.edge_attr.size(0) == g.graph.num_edges());
      BOOST_TEST(g.edge_attr.size(1) == 3);
    }
    LinkModel model(m);
    train_epochs(model, data, config, 2);
    const LinkEvaluation test = evaluate_links(model, data, LinkStage::test, 5);
    BOOST_TEST(std::isfinite(test.loss));
  }
}

// The last line of a program's output that starts with `prefix`.
static std::string line_starting(const std::string& out, const std::string& prefix) {
  size_t at = out.rfind("\n" + prefix);
  if (at == std::string::npos) return out.rfind(prefix, 0) == 0 ? out.substr(0, out.find('\n')) : "";
  const size_t begin = at + 1;
  return out.substr(begin, out.find('\n', begin) - begin);
}

// gat-train --task link from the outside, on the synthetic graph: the metrics line, the same bits
// on 1 and 2 threads (mini-batches), a saved model that --eval-only scores again to the same
// line, --predict-out for a file of pairs, and the options that do not fit named.
BOOST_AUTO_TEST_CASE(gat_train_task_link) {
  testing::TempDir dir;
  const std::vector<std::string> graph = {"--nodes", "2000", "--edges", "16000", "--features", "16",
                                          "--epochs", "4", "--log-every", "2"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> a = graph;
    if (std::find(more.begin(), more.end(), "--task") == more.end()) a.insert(a.begin(), {"--task", "link"});
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const testing::Run one = testing::run_program("gat-train", with({"--batch-size", "512", "--threads", "1"}), 120);
  const testing::Run two = testing::run_program("gat-train", with({"--batch-size", "512", "--threads", "2"}), 120);
  BOOST_TEST(one.code == 0, one.err);
  const std::string metrics = line_starting(one.out, "val_auc=");
  BOOST_TEST(metrics.find("test_auc=") != std::string::npos);
  BOOST_TEST(metrics.find("test_ap=") != std::string::npos);
  BOOST_TEST(metrics.find("test_hits@50=") != std::string::npos);
  BOOST_TEST(metrics.find("test_mrr=") != std::string::npos);
  BOOST_TEST(metrics == line_starting(two.out, "val_auc="));
  BOOST_TEST(one.out.find("epoch 2 train_loss=") != std::string::npos);

  const testing::Run saved =
      testing::run_program("gat-train", with({"--save", dir / "ckpt", "--metrics-json", dir / "m.json"}), 120);
  BOOST_TEST(saved.code == 0, saved.err);
  save_npy(dir / "pairs.npy", std::vector<int64_t>{0, 1, 5, 1999}.data(), {2, 2});
  const testing::Run again = testing::run_program(
      "gat-train", {"--task", "link", "--nodes", "2000", "--edges", "16000", "--features", "16", "--eval-only", "--load",
                    dir / "ckpt", "--pairs", dir / "pairs.npy", "--predict-out", dir / "pred.npy"}, 120);
  BOOST_TEST(again.code == 0, again.err);
  BOOST_TEST(line_starting(again.out, "val_auc=") == line_starting(saved.out, "val_auc="));
  const NpyArray pred = load_npy(dir / "pred.npy");
  BOOST_TEST((pred.shape == std::vector<int64_t>{2}));
  BOOST_TEST(testing::read_file(dir / "m.json").find("\"test_mrr\"") != std::string::npos);

  const testing::Run node_model =
      testing::run_program("gat-train", with({"--task", "node", "--load", dir / "ckpt", "--eval-only"}), 60);
  BOOST_TEST(node_model.code == 2);
  BOOST_TEST(node_model.err.find("was trained for --task link") != std::string::npos, node_model.err);
  const testing::Run no_pairs = testing::run_program("gat-train", with({"--predict-out", dir / "p.npy"}), 60);
  BOOST_TEST(no_pairs.code == 2);
  BOOST_TEST(no_pairs.err.find("--predict-out needs --pairs") != std::string::npos, no_pairs.err);
  save_npy(dir / "bad.npy", std::vector<int64_t>{0, 2000}.data(), {1, 2});
  const testing::Run bad = testing::run_program(
      "gat-train", {"--task", "link", "--nodes", "2000", "--edges", "16000", "--features", "16", "--eval-only", "--load",
                    dir / "ckpt", "--pairs", dir / "bad.npy", "--predict-out", dir / "p.npy"}, 60);
  BOOST_TEST(bad.code == 1);
  BOOST_TEST(bad.err.find("bad.npy: pair 0 has node 2000, out of range for 2000 nodes") != std::string::npos, bad.err);
}
