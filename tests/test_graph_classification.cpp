// Graph classification: the readouts against hand-computed values, the TU Dortmund reader on
// MUTAG and on broken folders, graph_y.npy, the stratified folds and the motif set.
// To add a case: a readout or reader check takes a few nodes or a few lines of text (TempDir);
// training cases stay well under a second (longer comparisons: scripts/).
#define BOOST_TEST_MODULE graph_classification
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

#include <tbb/global_control.h>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"
#include "graph/graph_index.hpp"
#include "graph/load_dataset.hpp"
#include "graph/message_passing.hpp"
#include "graph/readout.hpp"
#include "graph/synthetic_motifs.hpp"
#include "graph/tu_dataset.hpp"
#include "models/graph_folds.hpp"
#include "models/node_data.hpp"
#include "train/cross_validation.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace utf = boost::unit_test;

namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector(); }

// Element by element within 1e-12, each difference reported.
void check_near(const std::vector<double>& got, const std::vector<double>& want) {
  BOOST_TEST_REQUIRE(got.size() == want.size());
  for (size_t k = 0; k < got.size(); ++k) BOOST_TEST(std::abs(got[k] - want[k]) < 1e-12, "element " << k << ": " << got[k] << " vs " << want[k]);
}

// A TU folder "TOY" of 2 graphs: nodes 1-3 (graph 1, a path 1-2-3 both ways), 4-5 (graph 2).
struct ToyTu {
  std::string a = "1, 2\n2, 1\n2, 3\n3, 2\n4, 5\n5, 4\n";
  std::string indicator = "1\n1\n1\n2\n2\n";
  std::string graph_labels = "-1\n1\n";
  std::string node_labels = "3\n5\n3\n4\n3\n";
  std::string node_attributes;  // none unless set
  std::string edge_labels;
  void write(const TempDir& dir) const {
    write_file(dir / "TOY_A.txt", a);
    write_file(dir / "TOY_graph_indicator.txt", indicator);
    write_file(dir / "TOY_graph_labels.txt", graph_labels);
    if (!node_labels.empty()) write_file(dir / "TOY_node_labels.txt", node_labels);
    if (!node_attributes.empty()) write_file(dir / "TOY_node_attributes.txt", node_attributes);
    if (!edge_labels.empty()) write_file(dir / "TOY_edge_labels.txt", edge_labels);
  }
};

}  // namespace

// ---------------------------------------------------------------- readouts

BOOST_AUTO_TEST_CASE(readouts_pool_each_graph) {
  // 5 nodes, graphs {0, 3} -> 0, {1, 2, 4} -> 1, graph 2 empty.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, -1, 2, 0, 4, 5, 3, 3, -2, 1}, {5, 2}, DType::f64);
  const std::vector<int32_t> batch = {0, 1, 1, 0, 1};
  check_near(values(global_add_pool(x, batch, 3)), (std::vector<double>{4, 2, 4, 6, 0, 0}));
  check_near(values(global_mean_pool(x, batch, 3)), (std::vector<double>{2, 1, 4. / 3, 2, 0, 0}));
  check_near(values(global_max_pool(x, batch, 3)), (std::vector<double>{3, 3, 4, 5, 0, 0}));
  // Attention with gate scores ln 1, ln 2, ln 1, ln 3, ln 1: graph 0 weights 1/4, 3/4; graph 1 1/2, 1/4, 1/4.
  const Tensor gate =
      Tensor::from_vector(std::vector<double>{0, std::log(2.0), 0, std::log(3.0), 0}, {5, 1}, DType::f64);
  const std::vector<double> want = {0.25 * 1 + 0.75 * 3, 0.25 * -1 + 0.75 * 3,
                                    0.5 * 2 + 0.25 * 4 + 0.25 * -2, 0.5 * 0 + 0.25 * 5 + 0.25 * 1, 0, 0};
  check_near(values(attention_pool(x, gate, batch, 3)), want);
  BOOST_CHECK_EXCEPTION(global_add_pool(x, {0, 1, 3, 0, 1}, 3), DataError, message_has({"index 3", "position 2"}));
  BOOST_CHECK_EXCEPTION(attention_pool(x, gate, {0, 1}, 3), Error, message_has({"one row per entry"}));
}

BOOST_AUTO_TEST_CASE(segment_softmax_by_index_sorted_or_not) {
  const Tensor s = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5}, {5}, DType::f64);
  // The same segments listed in two orders give the same values row for row.
  const std::vector<double> sorted = values(segment_softmax(s, std::vector<int32_t>{0, 0, 1, 1, 1}, 2));
  const Tensor s2 = Tensor::from_vector(std::vector<double>{3, 1, 4, 2, 5}, {5}, DType::f64);
  const std::vector<double> mixed = values(segment_softmax(s2, std::vector<int32_t>{1, 0, 1, 0, 1}, 2));
  const double e = std::exp(1.0);
  const double z = 1 + e + e * e;
  check_near(sorted, (std::vector<double>{1 / (1 + e), e / (1 + e), 1 / z, e / z, e * e / z}));
  check_near(mixed, (std::vector<double>{sorted[2], sorted[0], sorted[3], sorted[1], sorted[4]}));
}

// ---------------------------------------------------------------- the TU reader

BOOST_AUTO_TEST_CASE(mutag, *utf::precondition(HasDataset{"tu/MUTAG/raw"})) {
  const Dataset d = load_tu_dataset(dataset_dir("tu/MUTAG/raw"));
  // PyG's TUDataset("MUTAG", use_node_attr=True): 188 graphs, 3371 nodes, 7442 edges, 7 node
  // features (one-hot atom types), 4 edge features (one-hot bond types), 2 classes (125 / 63).
  BOOST_TEST(d.name == "MUTAG");
  BOOST_TEST(d.num_graphs == 188);
  BOOST_TEST(d.num_nodes == 3371);
  BOOST_TEST(d.num_edges() == 7442);
  BOOST_TEST(d.num_features == 7);
  BOOST_TEST(d.edge_dim == 4);
  BOOST_TEST(d.num_classes == 2);
  BOOST_TEST(std::count(d.graph_labels.begin(), d.graph_labels.end(), 1) == 125);
  BOOST_TEST(d.y.empty());
  BOOST_TEST(d.train_mask.empty());
  for (int64_t i = 0; i < d.num_nodes; ++i)  // one-hot rows
    BOOST_TEST(std::accumulate(d.x_dense.begin() + i * 7, d.x_dense.begin() + i * 7 + 7, 0.0f) == 1.0f);
}

BOOST_AUTO_TEST_CASE(tu_features_as_pyg_builds_them) {
  TempDir dir;
  ToyTu toy;
  toy.node_attributes = "0.5, 1\n1.5, 2\n2.5, 3\n3.5, 4\n4.5, 5\n";
  toy.a += "2, 2\n1, 2\n";  // a self-loop (dropped) and a duplicate of line 1 (merged)
  toy.edge_labels = "1\n1\n2\n2\n1\n1\n0\n1\n";
  toy.write(dir);
  BOOST_TEST(is_tu_directory(dir.str()));
  const Dataset d = load_tu_dataset(dir.str());
  BOOST_TEST(d.num_graphs == 2);
  BOOST_TEST(d.graph_index == (std::vector<int32_t>{0, 0, 0, 1, 1}));
  BOOST_TEST(d.graph_labels == (std::vector<int64_t>{0, 1}));  // -1, 1 -> their ranks
  // x = [attributes ‖ one-hot(label - 3)], labels 3..5: 3 columns
  BOOST_TEST(d.num_features == 5);
  BOOST_TEST(std::vector<float>(d.x_dense.begin(), d.x_dense.begin() + 10) ==
             (std::vector<float>{0.5f, 1, 1, 0, 0, 1.5f, 2, 0, 0, 1}));
  // Edges sorted by (source, target), the loop dropped, the duplicate 1 -> 2 merged (features added).
  BOOST_TEST(d.src == (std::vector<int32_t>{0, 1, 1, 2, 3, 4}));
  BOOST_TEST(d.dst == (std::vector<int32_t>{1, 0, 2, 1, 4, 3}));
  BOOST_TEST(d.edge_dim == 3);  // labels 0..2
  BOOST_TEST(std::vector<float>(d.edge_attr.begin(), d.edge_attr.begin() + 6) ==
             (std::vector<float>{0, 2, 0, 0, 1, 0}));  // 1 -> 2: label 1 twice; 2 -> 1: label 1
}

BOOST_AUTO_TEST_CASE(tu_bad_folders_name_file_line_and_fault) {
  struct Case {
    const char* what;
    std::function<void(ToyTu&)> breaks;
    std::vector<std::string> message;
  };
  const std::vector<Case> cases = {
      {"node id past N", [](ToyTu& t) { t.a = "1, 2\n2, 9\n"; }, {"TOY_A.txt:2:", "node 9 is out of range [1, 5]"}},
      {"node id 0 (ids are 1-based)", [](ToyTu& t) { t.a = "0, 1\n"; }, {"TOY_A.txt:1:", "node 0"}},
      {"edge across graphs", [](ToyTu& t) { t.a = "1, 2\n3, 4\n"; }, {"TOY_A.txt:2:", "joins graph 1 to graph 2"}},
      {"not a number", [](ToyTu& t) { t.a = "1, 2\n2, x\n"; }, {"TOY_A.txt:2:", "'x' is not an integer"}},
      {"three columns", [](ToyTu& t) { t.a = "1, 2, 3\n"; }, {"TOY_A.txt", "3 values per line, expected 2"}},
      {"ragged rows", [](ToyTu& t) { t.node_labels = "1\n2, 3\n1\n1\n1\n"; }, {"TOY_node_labels.txt:2:", "2 values"}},
      {"a huge number", [](ToyTu& t) { t.a = "1, 99999999999999999999999\n"; }, {"TOY_A.txt:1:", "out of range"}},
      {"graph id past the labels", [](ToyTu& t) { t.indicator = "1\n1\n1\n2\n3\n"; },
       {"TOY_graph_indicator.txt:5:", "graph 3 is out of range [1, 2]"}},
      {"graph ids decreasing", [](ToyTu& t) { t.indicator = "1\n2\n1\n2\n2\n"; },
       {"TOY_graph_indicator.txt:3:", "must not decrease"}},
      {"a graph without nodes", [](ToyTu& t) { t.indicator = "1\n1\n1\n1\n1\n"; },
       {"TOY_graph_indicator.txt", "graph 2 has no node"}},
      {"node labels one short", [](ToyTu& t) { t.node_labels = "1\n1\n1\n1\n"; },
       {"TOY_node_labels.txt", "4 lines, expected 5"}},
      {"a lying label range (no huge one-hot)", [](ToyTu& t) { t.node_labels = "1\n1\n1\n1\n4000000000\n"; },
       {"TOY_node_labels.txt", "a one-hot of 4000000000 columns"}},
      {"NaN attribute", [](ToyTu& t) { t.node_attributes = "1\nnan\n1\n1\n1\n"; },
       {"TOY_node_attributes.txt:2:", "not finite"}},
      {"an empty line inside", [](ToyTu& t) { t.graph_labels = "1\n\n1\n"; },
       {"TOY_graph_labels.txt:2:", "empty line"}},
      {"edge labels one short", [](ToyTu& t) { t.edge_labels = "0\n0\n0\n0\n0\n"; },
       {"TOY_edge_labels.txt", "5 lines, expected 6"}},
      {"no node features", [](ToyTu& t) { t.node_labels.clear(); }, {"neither TOY_node_labels.txt"}},
      {"empty file", [](ToyTu& t) { t.a.clear(); }, {"TOY_A.txt", "empty file"}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      TempDir dir;
      ToyTu toy;
      c.breaks(toy);
      toy.write(dir);
      if (toy.a.empty()) write_file(dir / "TOY_A.txt", "");
      try {
        load_tu_dataset(dir.str());
        BOOST_ERROR("no error");
      } catch (const DataError& e) {
        for (const std::string& w : c.message) BOOST_TEST(message_has(e, w), "\"" << e.what() << "\" lacks \"" << w << "\"");
      }
    }
  }
  TempDir two;
  ToyTu().write(two);
  write_file(two / "OTHER_graph_indicator.txt", "1\n");
  BOOST_CHECK_EXCEPTION(load_tu_dataset(two.str()), DataError, message_has({"two TU datasets", "OTHER", "TOY"}));
}

BOOST_AUTO_TEST_CASE(graph_labels_in_the_npy_layout) {
  TempDir dir;
  const std::vector<float> x = {1, 0, 0, 1, 1, 1};
  const std::vector<int64_t> edges = {0, 1, 1, 0}, graph = {0, 0, 1}, y = {1, 0}, y3 = {1, 0, 1}, y_neg = {1, -1};
  save_npy(dir / "x.npy", x.data(), {3, 2});
  save_npy(dir / "edge_index.npy", edges.data(), {2, 2});
  save_npy(dir / "graph_index.npy", graph.data(), {3});
  save_npy(dir / "graph_y.npy", y.data(), {2});
  const Dataset d = load_dataset(dir.str(), LoadOptions{false});
  BOOST_TEST(d.num_graphs == 2);
  BOOST_TEST(d.graph_labels == (std::vector<int64_t>{1, 0}));
  BOOST_TEST(d.num_classes == 2);
  save_npy(dir / "graph_y.npy", y3.data(), {3});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({"graph_y.npy", "expected shape (2,)"}));
  save_npy(dir / "graph_y.npy", y_neg.data(), {2});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({"graph_y.npy", "class -1 of graph 1"}));
  std::filesystem::remove(dir / "graph_index.npy");
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({"graph_y.npy", "graph_index.npy", "missing"}));
}

// ---------------------------------------------------------------- folds and the motif set

BOOST_AUTO_TEST_CASE(stratified_folds_partition_and_balance) {
  std::vector<int64_t> labels(188);
  for (size_t g = 0; g < labels.size(); ++g) labels[g] = g % 3 == 0 ? 0 : 1;  // 63 / 125, as MUTAG
  const std::vector<GraphFold> folds = stratified_folds(labels, 2, 10, 0);
  BOOST_TEST(folds.size() == 10u);
  std::vector<int> in_test(labels.size(), 0);
  for (const GraphFold& f : folds) {
    std::set<int32_t> all;
    for (const auto* part : {&f.train, &f.val, &f.test}) all.insert(part->begin(), part->end());
    BOOST_TEST(all.size() == labels.size());  // disjoint and complete
    BOOST_TEST(f.train.size() + f.val.size() + f.test.size() == labels.size());
    BOOST_TEST((f.test.size() == 18u || f.test.size() == 19u));
    const auto ones = std::count_if(f.test.begin(), f.test.end(), [&](int32_t g) { return labels[g] == 1; });
    BOOST_TEST((ones == 12 || ones == 13));  // 125 / 10 per fold
    BOOST_TEST((f.val.size() == 17u || f.val.size() == 16u));  // 10% of the 169 or 170 others, per class
    for (int32_t g : f.test) ++in_test[static_cast<size_t>(g)];
  }
  BOOST_TEST(std::all_of(in_test.begin(), in_test.end(), [](int c) { return c == 1; }));
  BOOST_TEST(stratified_folds(labels, 2, 10, 0)[3].test == folds[3].test);  // fixed by the seed
  BOOST_TEST(stratified_folds(labels, 2, 10, 1)[3].test != folds[3].test);
  BOOST_CHECK_THROW(stratified_folds(labels, 2, 1, 0), UsageError);
}

BOOST_AUTO_TEST_CASE(motif_set_hides_its_class_from_feature_counts) {
  MotifGraphOptions o;
  o.num_graphs = 60;
  const Dataset d = make_motif_graphs(o);
  BOOST_TEST(d.num_graphs == 60);
  BOOST_TEST(d.num_features == 5);
  std::vector<int64_t> red_edges(60, 0), reds(60, 0);
  for (int64_t i = 0; i < d.num_nodes; ++i) reds[d.graph_index[i]] += d.x_dense[i * 5] == 1.0f;
  for (int64_t e = 0; e < d.num_edges(); ++e)
    red_edges[d.graph_index[d.src[e]]] += d.x_dense[d.src[e] * 5] == 1.0f && d.x_dense[d.dst[e] * 5] == 1.0f;
  for (int64_t g = 0; g < 60; ++g) {
    BOOST_TEST(reds[g] == 3);                                // the same red count in both classes
    BOOST_TEST(red_edges[g] == (d.graph_labels[g] == 1 ? 2 : 0));  // one red pair, both ways, or none
  }
  BOOST_TEST(make_motif_graphs(o).x_dense == d.x_dense);  // a function of the options
}

// ---------------------------------------------------------------- training

namespace {

// A small graph classifier for the motif set: 2 layers of 4 heads × 16, a sum readout, MLP 32
// (5-fold CV of gat-train with it: 0.955 mean test accuracy).
Preset small_graph_preset() {
  Preset p = make_preset("tu");
  p.model.layers = 2;
  p.model.heads = 4;
  p.model.hidden = 16;
  p.model.mlp_hidden = 32;
  p.model.readout = "sum";
  p.train.lr = 0.01;
  p.train.max_epochs = 60;
  p.train.patience = 60;
  p.model.seed = 1;
  return p;
}

struct Trained {
  TrainResult result;
  std::vector<Tensor> params;
};

// Fold 0 of 5 of d, trained with p (the loop, make_steps' graph-classification steps).
Trained train_fold(const Dataset& d, Preset p) {
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  const NodeData data = prepare_node_data(d, true);
  const GraphFold fold = stratified_folds(d.graph_labels, d.num_classes, 5, 0)[0];
  GraphClassifier model(p.model);
  nn::Adam optimizer = make_optimizer(model.parameters(), p.train);
  TrainState state;
  const std::unique_ptr<Steps> steps = make_steps(model, data, p.train, fold);
  Trained t{train(*steps, optimizer, state, p.train, {}, accuracy_early_stopping), {}};
  for (const Tensor& w : model.parameters()) t.params.push_back(w.clone());
  return t;
}

Dataset motif_set() { return make_motif_graphs(MotifGraphOptions{}); }  // 200 graphs

}  // namespace

// The class is a red edge: attention over the edges finds it, the same model without the edges
// (a per-node MLP, then the readout: DeepSets, stronger than an MLP on pooled features) cannot.
BOOST_AUTO_TEST_CASE(gat_with_readout_finds_the_motif_an_mlp_cannot) {
  const Dataset d = motif_set();
  Dataset no_edges = d;
  no_edges.src.clear();
  no_edges.dst.clear();
  const double gat = train_fold(d, small_graph_preset()).result.test.accuracy;
  const double mlp = train_fold(no_edges, small_graph_preset()).result.test.accuracy;
  BOOST_TEST_MESSAGE("motif set, test accuracy: GAT + sum readout " << gat << ", the same without edges " << mlp);
  BOOST_TEST(gat >= 0.8);
  BOOST_TEST(mlp <= 0.7);
}

BOOST_AUTO_TEST_CASE(every_readout_trains_the_same_on_1_and_2_threads) {
  const Dataset d = motif_set();
  for (const char* readout : {"mean", "sum", "max", "attention"}) {
    BOOST_TEST_CONTEXT(readout) {
      Preset p = small_graph_preset();
      p.model.readout = readout;
      p.model.dropout = 0.2;  // masks drawn too
      p.train.max_epochs = 3;
      std::vector<Trained> runs;
      for (int threads : {1, 2}) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
        runs.push_back(train_fold(d, p));
      }
      for (size_t e = 0; e < runs[0].result.history.size(); ++e) {
        BOOST_TEST(runs[0].result.history[e].train_loss == runs[1].result.history[e].train_loss);
        BOOST_TEST(runs[0].result.history[e].val_loss == runs[1].result.history[e].val_loss);
      }
      for (size_t k = 0; k < runs[0].params.size(); ++k)
        BOOST_TEST(runs[0].params[k].to_vector() == runs[1].params[k].to_vector());
    }
  }
}

// The cross-validation cases' data: the motif set of 40 graphs, and the small preset sized to it
// and trained for `max_epochs` per fold.
struct MotifFolds {
  Preset preset;
  NodeData data;
};

MotifFolds motif_folds(int64_t max_epochs) {
  MotifGraphOptions o;
  o.num_graphs = 40;
  const Dataset d = make_motif_graphs(o);
  Preset p = small_graph_preset();
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.train.max_epochs = max_epochs;
  return {p, prepare_node_data(d, true)};
}

BOOST_AUTO_TEST_CASE(cross_validation_reports_every_fold) {
  const auto [p, data] = motif_folds(2);
  int64_t seen = 0;
  FoldHooks hooks;
  hooks.done = [&](int64_t f, FoldTraining&, const std::vector<TrainResult>& results) {
    BOOST_TEST(f == seen++);
    BOOST_TEST(results.size() == static_cast<size_t>(f + 1));
    BOOST_TEST(results.back().epochs_run == 2);
  };
  const CrossValidation cv = cross_validate(data, p.model, p.train, 4, hooks);
  BOOST_TEST(cv.folds.size() == 4u);
  double mean = 0;
  for (const TrainResult& r : cv.folds) mean += r.test.accuracy / 4;
  BOOST_TEST(std::abs(cv.mean_test_accuracy - mean) < 1e-12);
  double var = 0;
  for (const TrainResult& r : cv.folds) var += (r.test.accuracy - mean) * (r.test.accuracy - mean) / 4;
  BOOST_TEST(std::abs(cv.std_test_accuracy - std::sqrt(var)) < 1e-12);
}

// A run continued from the results of its first folds (an interrupted run's, gat-train --resume)
// trains the remaining folds exactly as the whole run did, and summarises all of them.
BOOST_AUTO_TEST_CASE(cross_validation_continues_from_the_folds_done) {
  const auto [p, data] = motif_folds(3);
  const CrossValidation whole = cross_validate(data, p.model, p.train, 3);
  std::vector<int64_t> started;
  FoldHooks hooks;
  hooks.start = [&](int64_t f, FoldTraining&, const std::vector<TrainResult>& results) {
    started.push_back(f);
    BOOST_TEST(results.size() == static_cast<size_t>(f));
  };
  const CrossValidation rest = cross_validate(data, p.model, p.train, 3, hooks, {whole.folds[0]});
  BOOST_TEST((started == std::vector<int64_t>{1, 2}));
  BOOST_TEST_REQUIRE(rest.folds.size() == 3u);
  for (size_t f = 0; f < 3; ++f) {
    BOOST_TEST(rest.folds[f].test.accuracy == whole.folds[f].test.accuracy, "fold " << f);
    BOOST_TEST(rest.folds[f].val.loss == whole.folds[f].val.loss, "fold " << f);
    BOOST_TEST(rest.folds[f].history.back().train_loss == whole.folds[f].history.back().train_loss, "fold " << f);
  }
  BOOST_TEST(rest.mean_test_accuracy == whole.mean_test_accuracy);
  // A fold's result goes into the resume state and comes back the same.
  const TrainResult& r = whole.folds[2];
  const TrainResult back = TrainResult::from_json(r.to_json(), "state.json");
  BOOST_TEST(back.best_epoch == r.best_epoch);
  BOOST_TEST(back.epochs_run == r.epochs_run);
  BOOST_TEST(back.val.loss == r.val.loss);
  BOOST_TEST(back.test.accuracy == r.test.accuracy);
  BOOST_TEST(back.history.size() == r.history.size());
  BOOST_TEST(back.history.back().val_loss == r.history.back().val_loss);
  BOOST_TEST(back.stopped_early == r.stopped_early);
  BOOST_CHECK_EXCEPTION(TrainResult::from_json(R"({"best_epoch": 1})", "state.json"), DataError,
                        message_has({"state.json", "epochs_run"}));
}

BOOST_AUTO_TEST_CASE(summarize_folds_by_hand) {
  // Test accuracies 0.5, 0.75, 1, 0.75: mean 0.75, population std sqrt((0.25² + 0 + 0.25² + 0) / 4);
  // step times 1, 10, 2, 3 ms: an even count, so the median is the mean of the middle two, 2.5.
  std::vector<TrainResult> folds(4);
  const double accuracy[] = {0.5, 0.75, 1.0, 0.75}, step_ms[] = {1, 10, 2, 3};
  for (size_t f = 0; f < 4; ++f) {
    folds[f].test.accuracy = accuracy[f];
    folds[f].history.push_back(EpochStats{.step_ms = step_ms[f]});
  }
  const CrossValidation cv = summarize_folds(folds);
  BOOST_TEST(cv.mean_test_accuracy == 0.75);
  BOOST_TEST(cv.std_test_accuracy == std::sqrt(0.125 / 4));
  BOOST_TEST(cv.epoch_ms_median == 2.5);
  folds.pop_back();  // 1, 10, 2: the middle one
  BOOST_TEST(summarize_folds(folds).epoch_ms_median == 2.0);
  const CrossValidation none = summarize_folds({});
  BOOST_TEST((none.mean_test_accuracy == 0 && none.std_test_accuracy == 0 && none.epoch_ms_median == 0));
}

// gat-train --task graph from the outside: the summary, the metrics, a checkpoint per fold that
// --eval-only scores again to the same digits, and options that do not fit refused.
BOOST_AUTO_TEST_CASE(gat_train_task_graph) {
  TempDir dir;
  const std::vector<std::string> common = {"--task", "graph", "--graphs", "40", "--folds", "3", "--layers", "1",
                                           "--heads", "2", "--hidden", "4", "--mlp-hidden", "8", "--threads", "2"};
  std::vector<std::string> train = common;
  for (const char* a : {"--epochs", "3", "--readout", "attention"}) train.push_back(a);
  train.insert(train.end(), {"--save", dir / "ckpt", "--metrics-json", dir / "m.json"});
  const Run r = run_program("gat-train", train, 60);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  const auto summary = r.out.substr(r.out.rfind("mean_test_accuracy="));
  BOOST_TEST(r.out.find("fold 3/3 best_epoch=") != std::string::npos);
  const std::string json = read_file(dir / "m.json");
  for (const char* key : {"\"mean_test_accuracy\"", "\"std_test_accuracy\"", "\"test_accuracy\"", "\"folds\": 3"})
    BOOST_TEST(json.find(key) != std::string::npos, "metrics lack " << key);
  BOOST_TEST(fs::exists(dir / "ckpt/fold_3/config.json"));
  std::vector<std::string> eval = common;
  eval.insert(eval.end(), {"--load", dir / "ckpt", "--eval-only"});
  const Run e = run_program("gat-train", eval, 60);
  BOOST_TEST_REQUIRE(e.code == 0, e.err);
  BOOST_TEST(e.out.substr(e.out.rfind("mean_test_accuracy=")) == summary);
  std::vector<std::string> bad = common;
  bad.insert(bad.end(), {"--batch-size", "4"});
  BOOST_TEST(run_program("gat-train", bad, 60).code == 2);
  BOOST_TEST(run_program("gat-train", {"--readout", "sum"}, 60).code == 2);  // a graph option in node classification
  const Run wrong = run_program("gat-train", {"--task", "graph", "--data", dir.str()}, 60);
  BOOST_TEST(wrong.code == 1);
  BOOST_TEST(wrong.err.find("no graph classes") != std::string::npos, wrong.err);
}
