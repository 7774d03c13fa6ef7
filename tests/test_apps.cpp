// gat-train run as a process: exit codes (0 ok, 1 bad data or runtime error, 2 bad command
// line), the message on stderr for every entry of the bad-input catalogue, and the files a
// successful run writes. The program is this build's GATGRAD_BIN_DIR/gat-train.
// To add a case: write a TinyDataset (tests/testing.hpp) into a TempDir, break one file, and
// call expect_failure(train({...}), exit code, {words the message must hold}).
#define BOOST_TEST_MODULE apps
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/error.hpp"
#include "autograd/version.hpp"
#include "graph/synthetic.hpp"
#include "io/npy.hpp"
#include "testing.hpp"
#include "xml_check.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace utf = boost::unit_test;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // the programs run slower: time limits are looser
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// gat-train with the given arguments. Whatever it printed, a sanitizer report is a failure.
Run train(std::vector<std::string> args, double timeout = 120) { return run_program("gat-train", std::move(args), timeout); }

// The run exited with `code`, before training (nothing on stdout: every failing run below is
// --quiet or fails before the first epoch), and stderr holds every one of `words`.
void expect_failure(const Run& r, int code, const std::vector<std::string>& words) {
  BOOST_TEST(r.code == code, "exit code " << r.code << ", expected " << code << "; stderr: " << r.err);
  BOOST_TEST(r.out.find("epoch") == std::string::npos, "it trained before failing:\n" << r.out);
  for (const std::string& w : words)
    BOOST_TEST(r.err.find(w) != std::string::npos, "stderr \"" << r.err << "\" lacks \"" << w << "\"");
}

// Errors found by gat-train itself (not by the command-line parser) are "gat-train: <message>".
void expect_error(const Run& r, int code, const std::vector<std::string>& words) {
  expect_failure(r, code, words);
  BOOST_TEST(r.err.rfind("gat-train: ", 0) == 0, "stderr does not start with \"gat-train: \": " << r.err);
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_file(path));
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string field; std::getline(ss, field, sep);) out.push_back(field);
  return out;
}

// One successful run on the synthetic graph with every output, shared by the tests that read
// them (gat-train --epochs 5 --heads 2 --quiet --metrics-json --save --predict-out
// --attention-out --plot).
struct SyntheticRun {
  TempDir dir{"apps-synthetic"};
  Run run;
  SyntheticRun() {
    run = train({"--epochs", "5", "--heads", "2", "--quiet", "--metrics-json", dir / "metrics.json", "--save",
                 dir / "ckpt", "--predict-out", dir / "logits.npy", "--attention-out", dir / "attention.csv",
                 "--plot", dir / "curves.svg"});
  }
  static const SyntheticRun& get() {
    static const SyntheticRun r;
    return r;
  }
};

}  // namespace

// ================================================================ successful runs

BOOST_AUTO_TEST_SUITE(successful_runs)

BOOST_AUTO_TEST_CASE(help_and_version) {
  const Run help = train({"--help"});
  BOOST_TEST(help.code == 0);
  for (const char* option : {"--data", "--epochs", "--metrics-json", "--save", "--load", "--eval-only", "--predict-out",
                             "--attention-out", "--plot"})
    BOOST_TEST(help.out.find(option) != std::string::npos, "--help does not list " << option);
  const Run v = train({"--version"});
  BOOST_TEST(v.code == 0);
  BOOST_TEST(v.out.find(std::string("gat-train (gatgrad) ") + version()) != std::string::npos, v.out);
}

BOOST_AUTO_TEST_CASE(quiet_synthetic_run_writes_the_metrics_json) {
  const SyntheticRun& s = SyntheticRun::get();
  BOOST_REQUIRE_MESSAGE(s.run.code == 0, "exit code " << s.run.code << ": " << s.run.err);
  BOOST_TEST(s.run.out.empty(), "--quiet printed: " << s.run.out);
  BOOST_TEST(s.run.err.empty(), "stderr: " << s.run.err);
  const nlohmann::json m = read_json(s.dir / "metrics.json");
  for (const char* field : {"test_accuracy", "val_accuracy", "best_epoch", "epochs_run", "epoch_ms_median",
                            "train_seconds", "peak_rss_mb", "threads", "seed", "train_loss", "val_loss",
                            "val_accuracy_curve"})
    BOOST_TEST(m.contains(field), "metrics.json has no " << field);
  BOOST_TEST(m.at("epochs_run").get<int>() == 5);
  for (const char* curve : {"train_loss", "val_loss", "val_accuracy_curve"}) {
    BOOST_TEST(m.at(curve).size() == 5u);
    for (const auto& v : m.at(curve)) BOOST_TEST(std::isfinite(v.get<double>()));
  }
  const int best = m.at("best_epoch").get<int>();
  BOOST_TEST_REQUIRE((best >= 1 && best <= 5));
  // The outcome: the validation accuracy reported is the curve's at the kept epoch (the kept
  // parameters evaluated again), and the test accuracy a count of the test nodes.
  BOOST_TEST(m.at("val_accuracy").get<double>() == m.at("val_accuracy_curve").at(best - 1).get<double>());
  const double acc = m.at("test_accuracy").get<double>(), n = static_cast<double>(CsbmOptions{}.test_size);
  BOOST_TEST(std::abs(acc * n - std::round(acc * n)) < 1e-6, "test_accuracy " << acc << " is no count of " << n << " nodes");
}

BOOST_AUTO_TEST_CASE(save_then_load_eval_only_gives_the_same_test_accuracy) {
  const SyntheticRun& s = SyntheticRun::get();
  BOOST_REQUIRE(s.run.code == 0);
  const std::string again = s.dir / "eval.json";
  const Run r = train({"--load", s.dir / "ckpt", "--eval-only", "--quiet", "--metrics-json", again});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  const nlohmann::json a = read_json(s.dir / "metrics.json"), b = read_json(again);
  BOOST_TEST(b.at("test_accuracy").get<double>() == a.at("test_accuracy").get<double>());
  BOOST_TEST(b.at("val_accuracy").get<double>() == a.at("val_accuracy").get<double>());
  // Not quiet: the evaluation is reported, no epoch is run.
  const Run loud = train({"--load", s.dir / "ckpt", "--eval-only"});
  BOOST_TEST(loud.code == 0);
  BOOST_TEST(loud.out.find("test_accuracy=") != std::string::npos, loud.out);
  BOOST_TEST(loud.out.find("epoch ") == std::string::npos, loud.out);
}

BOOST_AUTO_TEST_CASE(predict_out_is_n_by_c_float32_and_scores_the_test_accuracy) {
  const SyntheticRun& s = SyntheticRun::get();
  BOOST_REQUIRE(s.run.code == 0);
  const Dataset d = make_csbm(CsbmOptions{});  // the graph gat-train trains on without --data
  const NpyArray p = load_npy(s.dir / "logits.npy");
  BOOST_TEST(p.dtype == "<f4");
  BOOST_REQUIRE(p.shape == (std::vector<int64_t>{d.num_nodes, d.num_classes}));
  const std::vector<float> logits = p.to_float();
  int64_t right = 0, total = 0;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    const float* row = logits.data() + i * d.num_classes;
    for (int64_t c = 0; c < d.num_classes; ++c) BOOST_TEST(std::isfinite(row[c]));
    if (!d.test_mask[i]) continue;
    right += std::max_element(row, row + d.num_classes) - row == d.y[i];
    ++total;
  }
  const double acc = static_cast<double>(right) / static_cast<double>(total);
  BOOST_TEST(acc == read_json(s.dir / "metrics.json").at("test_accuracy").get<double>(), boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(attention_csv_has_its_header_and_sums_to_one_per_target) {
  const SyntheticRun& s = SyntheticRun::get();
  BOOST_REQUIRE(s.run.code == 0);
  const int64_t n = CsbmOptions{}.num_nodes;
  std::istringstream in(read_file(s.dir / "attention.csv"));
  std::string line;
  std::getline(in, line);
  BOOST_TEST(line == "layer,head,source,target,alpha");
  std::map<std::tuple<int, int, int64_t>, double> sums;  // (layer, head, target) -> sum of alpha
  int64_t rows = 0, bad = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split(line, ',');
    if (f.size() != 5) { ++bad; continue; }
    const int layer = std::stoi(f[0]), head = std::stoi(f[1]);
    const int64_t src = std::stoll(f[2]), dst = std::stoll(f[3]);
    const double alpha = std::stod(f[4]);
    const bool ok = (layer == 1 && head >= 0 && head < 2) || (layer == 2 && head == 0);
    bad += !ok || src < 0 || src >= n || dst < 0 || dst >= n || !(alpha >= 0 && alpha <= 1);
    sums[{layer, head, dst}] += alpha;
    ++rows;
  }
  BOOST_TEST(bad == 0);
  BOOST_TEST(sums.size() == static_cast<size_t>(3 * n));  // every node has its self-loop in each (layer, head)
  double worst = 0;
  for (const auto& [key, sum] : sums) worst = std::max(worst, std::abs(sum - 1.0));
  BOOST_TEST(worst < 1e-5, "a target's attention sums to 1 +- " << worst);
  BOOST_TEST(rows >= 3 * n);
}

BOOST_AUTO_TEST_CASE(plot_is_a_well_formed_svg) {
  const SyntheticRun& s = SyntheticRun::get();
  BOOST_REQUIRE(s.run.code == 0);
  XmlChecker xml(read_file(s.dir / "curves.svg"));
  const std::string problem = xml.check();
  BOOST_TEST(problem.empty(), "curves.svg is not well-formed XML: " << problem);
  BOOST_TEST(xml.root() == "svg");
  BOOST_TEST(xml.counts().count("polyline"));
  // The checker itself rejects what it should.
  for (const char* broken : {"<svg><g></svg>", "<svg a='1' a='2'/>", "<svg>&nbsp;</svg>", "<svg x=1/>", "<svg/><svg/>",
                             "<svg><text>a < b</text></svg>"})
    BOOST_TEST(!XmlChecker(broken).check().empty(), broken);
}

// Zero edges: every layer adds one self-loop per node, so each node attends to itself only
// (a bag-of-features classifier); training works.
BOOST_AUTO_TEST_CASE(a_graph_with_zero_edges_trains) {
  TempDir dir("apps");
  TinyDataset t;
  t.edges.clear();
  t.write(dir / "data");
  const Run r = train({"--data", dir / "data", "--epochs", "5", "--quiet", "--metrics-json", dir / "m.json"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  const nlohmann::json m = read_json(dir / "m.json");
  for (const auto& v : m.at("train_loss")) BOOST_TEST(std::isfinite(v.get<double>()));
}

// Edge features (edge_attr.npy) set the model's edge dimension; the checkpoint keeps their
// parameters and the fill; mini-batches and --edge-fill without them are usage errors.
BOOST_AUTO_TEST_CASE(edge_features_train_save_and_evaluate) {
  TempDir dir("apps");
  TinyDataset().write(dir.str());
  std::vector<float> attr(16);
  for (size_t k = 0; k < attr.size(); ++k) attr[k] = static_cast<float>(k % 3);
  save_npy(dir / "edge_attr.npy", attr.data(), {8, 2});
  const std::string ckpt = dir / "ckpt";
  const Run r = train({"--data", dir.str(), "--epochs", "3", "--edge-fill", "0.5", "--save", ckpt});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out.find("2 edge features") != std::string::npos, r.out);
  BOOST_TEST(fs::exists(ckpt + "/conv1.edge_weight.npy"));
  BOOST_TEST(fs::exists(ckpt + "/conv2.att_edge.npy"));
  const nlohmann::json config = read_json(ckpt + "/config.json");
  BOOST_TEST(config.at("edge_dim").get<int64_t>() == 2);
  BOOST_TEST(config.at("edge_fill").get<std::string>() == "0.5");
  const Run again = train({"--data", dir.str(), "--load", ckpt, "--eval-only"});
  BOOST_TEST(again.code == 0, again.err);
  BOOST_TEST(again.out.substr(again.out.find("val_accuracy")) == r.out.substr(r.out.find("val_accuracy")));
  const Run mini = train({"--data", dir.str(), "--batch-size", "2", "--epochs", "2", "--quiet", "--predict-out",
                          dir / "p.npy", "--attention-out", dir / "a.csv"});  // sampled blocks carry them
  BOOST_TEST(mini.code == 0, mini.err);
  BOOST_TEST(fs::exists(dir / "p.npy"));
  BOOST_TEST(fs::exists(dir / "a.csv"));
  expect_failure(train({"--data", dir.str(), "--edge-fill", "often", "--quiet"}), 2, {"often", "'mean' nor a finite number"});
  fs::remove(dir / "edge_attr.npy");
  expect_error(train({"--data", dir.str(), "--edge-fill", "mean", "--quiet"}), 2, {"--edge-fill needs edge features"});
  expect_error(train({"--data", dir.str(), "--load", ckpt, "--eval-only", "--quiet"}), 1,
               {ckpt + "/config.json", "expects 2 edge features", "the data has 0"});
}

// --explain NODE: its data holds --attention-out's α of the same model for every edge of the
// node's 2-hop neighbourhood (equal as float32, bit for bit), the neighbourhood is the one the
// CSV's edges give, and the importance is PyG's reduction of those α; --load explains the saved
// model without training, and gives the same files.
BOOST_AUTO_TEST_CASE(explanation_data_matches_attention_out) {
  TempDir dir("apps-explain");
  const int node = 7;
  const Run r = train({"--epochs", "5", "--heads", "2", "--quiet", "--save", dir / "ckpt", "--attention-out",
                       dir / "a.csv", "--explain", std::to_string(node), "--explain-out", dir / "e.svg"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  // The CSV: rows of layer l, head h in edge order; alpha[{l, h}][edge], and the edges themselves.
  std::map<std::pair<int, int>, std::vector<float>> alpha;
  std::vector<std::pair<int64_t, int64_t>> edges;  // (source, target) in edge order
  std::istringstream in(read_file(dir / "a.csv"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split(line, ',');
    BOOST_REQUIRE(f.size() == 5u);
    const std::pair<int, int> key{std::stoi(f[0]), std::stoi(f[1])};
    alpha[key].push_back(std::stof(f[4]));  // "%.9g" of a float32: std::stof gives it back exactly
    if (key == std::pair<int, int>{1, 0}) edges.push_back({std::stoll(f[2]), std::stoll(f[3])});
  }
  BOOST_REQUIRE(alpha.size() == 3u);  // layer 1: heads 0, 1; layer 2: head 0
  // The 2-hop neighbourhood along the CSV's edges, and the edges between its nodes.
  std::set<int64_t> hood{node};
  for (int hop = 0; hop < 2; ++hop) {
    std::set<int64_t> next = hood;
    for (const auto& [s, t] : edges)
      if (hood.count(t)) next.insert(s);
    hood = next;
  }
  size_t inside = 0;
  for (const auto& [s, t] : edges) inside += hood.count(s) && hood.count(t);

  const nlohmann::json j = read_json(dir / "e.json");  // beside the picture: --explain-out with .json
  BOOST_TEST(j.at("reduce").get<std::string>() == "max");
  std::set<int64_t> nodes;
  for (const nlohmann::json& v : j.at("nodes")) nodes.insert(v.at("id").get<int64_t>());
  BOOST_TEST(nodes == hood);
  BOOST_REQUIRE(j.at("edges").size() == inside);
  for (const nlohmann::json& x : j.at("edges")) {
    const size_t e = x.at("edge").get<size_t>();
    BOOST_REQUIRE(e < edges.size());
    BOOST_TEST(x.at("source").get<int64_t>() == edges[e].first);
    BOOST_TEST(x.at("target").get<int64_t>() == edges[e].second);
    const nlohmann::json& a = x.at("alpha");
    BOOST_REQUIRE(a.size() == 2u);
    BOOST_REQUIRE(a[0].size() == 2u);
    BOOST_REQUIRE(a[1].size() == 1u);
    float most = 0;
    for (auto [l, h] : {std::pair{1, 0}, std::pair{1, 1}, std::pair{2, 0}}) {
      const float from_json = static_cast<float>(a[l - 1][h].get<double>()), from_csv = alpha[std::pair{l, h}][e];
      BOOST_TEST(from_json == from_csv, "edge " << e << " layer " << l << " head " << h);
      most = std::max(most, from_csv);
    }
    BOOST_TEST(x.at("importance").get<double>() == static_cast<double>(most));
  }
  BOOST_TEST(XmlChecker(read_file(dir / "e.svg")).check() == "");

  // The saved model, explained without training: the same data; --explain-reduce mean.
  const Run loaded = train({"--load", dir / "ckpt", "--explain", std::to_string(node), "--explain-out", dir / "l.svg"});
  BOOST_REQUIRE_MESSAGE(loaded.code == 0, loaded.err);
  BOOST_TEST(loaded.out.find("best_epoch") == std::string::npos, "it trained:\n" << loaded.out);
  BOOST_TEST(loaded.out.find("explain: node 7, 2-hop neighbourhood of " + std::to_string(hood.size()) + " nodes") !=
                 std::string::npos, loaded.out);
  BOOST_TEST(read_file(dir / "l.json") == read_file(dir / "e.json"));
  BOOST_TEST(read_file(dir / "l.svg") == read_file(dir / "e.svg"));
  const Run mean = train({"--load", dir / "ckpt", "--quiet", "--explain", std::to_string(node), "--explain-out",
                          dir / "m.svg", "--explain-data", dir / "mean.json", "--explain-reduce", "mean"});
  BOOST_REQUIRE_MESSAGE(mean.code == 0, mean.err);
  const nlohmann::json mean_data = read_json(dir / "mean.json");  // alive for the loop, not a temporary's member
  for (const nlohmann::json& x : mean_data.at("edges")) {
    const size_t e = x.at("edge").get<size_t>();
    const double l1h0 = alpha[std::pair{1, 0}][e], l1h1 = alpha[std::pair{1, 1}][e], l2h0 = alpha[std::pair{2, 0}][e];
    const double pyg = ((l1h0 + l1h1) / 2 + l2h0) / 2;
    BOOST_TEST(x.at("importance").get<double>() == pyg, boost::test_tools::tolerance(1e-12));
  }
  // Mini-batch training explains over the whole graph with its self-loops, as --attention-out does.
  const Run mini = train({"--epochs", "2", "--heads", "2", "--batch-size", "500", "--quiet", "--explain",
                          std::to_string(node), "--explain-out", dir / "b.svg"});
  BOOST_REQUIRE_MESSAGE(mini.code == 0, mini.err);
  BOOST_TEST(read_json(dir / "b.json").at("nodes").size() == hood.size());
}

BOOST_AUTO_TEST_SUITE_END()

// On a terminal gat-train draws a live progress bar (carriage returns, epoch, loss, accuracies,
// time per epoch); util-linux's `script` gives it a pseudo-terminal.
// The paper's inductive PPI setting on a small synthetic set of graphs: micro-F1 in the summary
// line and the metrics, the 3-layer model in the checkpoint.
BOOST_AUTO_TEST_CASE(preset_ppi_trains_on_a_synthetic_set_of_graphs_and_reports_micro_f1) {
  TempDir dir;
  const auto r = run({bin_path("gat-train"), "--preset", "ppi", "--graphs", "5", "--nodes", "50", "--hidden", "16",
                      "--epochs", "3", "--log-every", "1", "--metrics-json", dir / "m.json", "--save", dir / "ckpt"});
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
  BOOST_TEST(r.out.find("the synthetic graph set (5 graphs, ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("50 features, 121 labels per node") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("epoch 3 train_loss=") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(" val_f1=") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("\nval_micro_f1=") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(" test_micro_f1=") != std::string::npos, r.out);
  const nlohmann::json m = read_json(dir / "m.json");
  for (const char* field : {"test_micro_f1", "val_micro_f1", "val_micro_f1_curve"}) BOOST_TEST(m.contains(field), field);
  BOOST_TEST(!m.contains("test_accuracy"));
  const double f1 = m.at("test_micro_f1").get<double>();
  char line[64];  // the outcome: the summary line and the metrics say the same, at the kept epoch
  std::snprintf(line, sizeof line, " test_micro_f1=%.4f", f1);
  BOOST_TEST(r.out.find(line) != std::string::npos, r.out << " lacks" << line);
  const int best = m.at("best_epoch").get<int>();
  BOOST_TEST_REQUIRE((best >= 1 && best <= 3));
  BOOST_TEST(m.at("val_micro_f1").get<double>() == m.at("val_micro_f1_curve").at(best - 1).get<double>());
  const nlohmann::json config = read_json(dir / "ckpt/config.json");
  BOOST_TEST(config.at("layers").get<int>() == 3);
  BOOST_TEST(config.at("heads").get<int>() == 4);
  BOOST_TEST(config.at("out_heads").get<int>() == 6);
  BOOST_TEST(config.at("residual").get<bool>());
  BOOST_TEST(fs::exists(dir / "ckpt/conv3.residual_weight.npy"));
  // graph by graph: --eval-only of the saved model gives the same micro-F1
  const auto e = run({bin_path("gat-train"), "--graphs", "5", "--nodes", "50", "--load", dir / "ckpt", "--eval-only"});
  BOOST_REQUIRE_MESSAGE(e.code == 0, e.err);
  char want[64];
  std::snprintf(want, sizeof want, "test_micro_f1=%.4f", f1);
  BOOST_TEST(e.out.find(want) != std::string::npos, e.out << " lacks " << want);
}

BOOST_AUTO_TEST_CASE(graph_options_that_do_not_fit_are_usage_errors) {
  const std::string train = bin_path("gat-train");
  auto expect = [&](std::vector<std::string> argv, const std::string& words) {
    const auto r = run(argv);
    BOOST_TEST(r.code == 2, r.err);
    BOOST_TEST(r.err.find(words) != std::string::npos, r.err);
  };
  expect({train, "--graphs-per-batch", "2", "--epochs", "1"}, "one graph");  // the single synthetic graph
  expect({train, "--graphs", "6", "--edges", "100"}, "--edges, --train-per-class and --edge-features");
  TempDir data;
  expect({train, "--graphs", "6", "--data", data.str()}, "not with --data");
  expect({train, "--graphs", "6", "--graphs-per-batch", "2", "--batch-size", "8"}, "exclude each other");
  expect({train, "--graphs", "2"}, "--graphs");  // fewer than 3
  expect({train, "--layers", "3", "--batch-size", "8", "--fanout", "5,5"}, "one entry per layer");
}

// /usr/bin/script (bsdutils, scripts/install-deps.sh) gives the run a terminal; without it the
// case is reported as skipped.
BOOST_AUTO_TEST_CASE(progress_bar_on_a_terminal, *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
  return boost::test_tools::assertion_result(::access("/usr/bin/script", X_OK) == 0);
})) {
  const Run r = run({"/usr/bin/script", "-q", "-e", "-c", shell_command(bin_path("gat-train")) + " --epochs 3", "/dev/null"}, 120);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  for (const char* piece : {"\r[", "] epoch    1/3", "epoch    3/3", "loss ", "train ", "val ", "ms/epoch", "test_accuracy="})
    BOOST_TEST(r.out.find(piece) != std::string::npos, "no \"" << piece << "\" in:\n" << r.out);
  BOOST_TEST(r.out.find("epoch 1 train_loss=") == std::string::npos, "plain log lines on a terminal:\n" << r.out);
}

// --no-normalize keeps the raw features: the run trains, and the checkpoint records it, so that
// --load applies the same preprocessing.
BOOST_AUTO_TEST_CASE(no_normalize_is_recorded_in_the_checkpoint) {
  TempDir dir("apps");
  TinyDataset().write(dir / "data");
  for (const bool raw : {false, true}) {
    std::vector<std::string> args = {"--data", dir / "data", "--epochs", "3", "--quiet", "--save",
                                     dir / (raw ? "raw" : "normalized")};
    if (raw) args.push_back("--no-normalize");
    const Run r = train(args);
    BOOST_TEST_REQUIRE(r.code == 0, r.err);
    const nlohmann::json config = read_json(dir / (raw ? "raw/config.json" : "normalized/config.json"));
    BOOST_TEST(config.at("normalize_features").get<bool>() == !raw);
  }
}

// gat-bench train on a small synthetic graph ends with the documented line of fixed-point
// numbers; gemm ends with gflops=, memory with speedup=.
BOOST_AUTO_TEST_CASE(gat_bench_prints_its_result_lines) {
  auto last_line = [](const std::string& out) {
    const size_t end = out.find_last_not_of('\n');
    const size_t begin = out.rfind('\n', end);
    return out.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
  };
  auto fixed = std::regex("[0-9]+(\\.[0-9]+)?");
  const Run t = run({bin_path("gat-bench"), "train", "--nodes", "500", "--edges", "4000", "--features", "16",
                     "--classes", "3", "--epochs", "3", "--threads", "2"}, 120);
  BOOST_TEST_REQUIRE(t.code == 0, t.err);
  std::smatch m;
  const std::string line = last_line(t.out);
  BOOST_TEST(std::regex_match(line, m, std::regex("epoch_ms_median=([0-9.]+) infer_ms_median=([0-9.]+) "
                                                  "peak_rss_mb=([0-9.]+) edges_per_s=([0-9]+)")),
             line);
  for (size_t k = 1; k < m.size(); ++k) BOOST_TEST(std::regex_match(m[k].str(), fixed), m[k].str());
  const Run g = run({bin_path("gat-bench"), "gemm", "--m", "64", "--k", "32", "--n", "16", "--repeats", "3"}, 60);
  BOOST_TEST_REQUIRE(g.code == 0, g.err);
  BOOST_TEST(std::regex_match(last_line(g.out), std::regex("gflops=[0-9]+\\.[0-9]{2}")), g.out);
  const Run mem = run({bin_path("gat-bench"), "memory", "--mb", "16", "--repeats", "2"}, 60);
  BOOST_TEST_REQUIRE(mem.code == 0, mem.err);
  BOOST_TEST(std::regex_match(last_line(mem.out), std::regex("speedup=[0-9]+\\.[0-9]{2}")), mem.out);
  BOOST_TEST(mem.out.find("triad threads=1 gb_per_s=") != std::string::npos, mem.out);
  // Each also reports the clock the VM gave it (a one-cycle dependent loop), a positive number.
  for (const Run* r : {&t, &g, &mem})
    BOOST_TEST(std::regex_search(r->out, std::regex("busy_loop_ghz=[0-9]*[1-9][0-9]*\\.[0-9]{2}|busy_loop_ghz=0\\.[0-9]*[1-9]")),
               r->out);
}

// ================================================================ bad data: exit 1

BOOST_AUTO_TEST_SUITE(bad_data)

BOOST_AUTO_TEST_CASE(missing_dataset_files) {
  for (const char* file : {"y.npy", "edge_index.npy", "train_mask.npy", "val_mask.npy", "test_mask.npy"}) {
    TempDir dir("apps");
    TinyDataset().write(dir.str());
    fs::remove(dir / file);
    expect_error(train({"--data", dir.str(), "--quiet"}), 1, {dir / file, "missing file"});
  }
  TempDir dir("apps");
  TinyDataset().write(dir.str());
  fs::remove(dir / "x.npy");
  expect_error(train({"--data", dir.str(), "--quiet"}), 1, {dir / "x.npy", "missing file", dir / "x.npz"});
}

// A .npy file of the tiny dataset broken in one way; the message names the file and the problem.
BOOST_AUTO_TEST_CASE(broken_npy_files) {
  for (const BrokenFile& c : broken_npy_cases()) {
    TempDir dir("apps");
    TinyDataset().write(dir.str());
    c.corrupt(dir / c.file);
    std::vector<std::string> words = c.words;
    words.push_back(dir / c.file);
    expect_error(train({"--data", dir.str(), "--quiet"}), 1, words);
  }
}

// Arrays that are valid .npy files but wrong as a dataset.
BOOST_AUTO_TEST_CASE(inconsistent_arrays) {
  struct Case {
    const char* file;
    std::function<void(TinyDataset&)> change;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases = {
      {"y.npy", [](TinyDataset& t) { t.y.pop_back(); }, {"has 5 rows but", "x.npy has 6", "must agree"}},
      {"val_mask.npy", [](TinyDataset& t) { t.val.push_back(0); }, {"mask of length 7 but", "x.npy has 6 nodes"}},
      {"test_mask.npy", [](TinyDataset& t) { t.test.pop_back(); }, {"mask of length 5 but"}},
      {"train_mask.npy", [](TinyDataset& t) { t.train.assign(6, 0); }, {"no training node (all 6 entries are false)"}},
      {"edge_index.npy", [](TinyDataset& t) { t.edges[3] = -1; }, {"edge 3: source index -1 is negative"}},
      {"edge_index.npy", [](TinyDataset& t) { t.edges[8 + 5] = 6; }, {"edge 5: target index 6 is out of range [0, 6)"}},
      {"y.npy", [](TinyDataset& t) { t.y[1] = -2; }, {"label -2 of node 1 is negative"}},
      {"y.npy", [](TinyDataset& t) { t.y[2] = 6; }, {"label 6 of node 2 is out of range [0, 6)"}},
      {"x.npy", [](TinyDataset& t) { t.x[2 * 4 + 3] = NAN; }, {"NaN in the features at row 2, column 3"}},
      {"x.npy", [](TinyDataset& t) { t.x[4 * 4] = INFINITY; }, {"Inf in the features at row 4, column 0"}},
      {"x.npy", [](TinyDataset& t) { t.x[1] = -INFINITY; }, {"-Inf in the features at row 0, column 1"}},
      {"x.npy",
       [](TinyDataset& t) {
         t.n = 0;
         t.x.clear(), t.y.clear(), t.train.clear(), t.val.clear(), t.test.clear(), t.edges.clear();
       },
       {"zero nodes"}},
  };
  for (const Case& c : cases) {
    TempDir dir("apps");
    TinyDataset t;
    c.change(t);
    t.write(dir.str());
    std::vector<std::string> words = c.words;
    words.push_back(dir / c.file);
    expect_error(train({"--data", dir.str(), "--quiet"}), 1, words);
  }
  // A mask of the wrong rank and an edge list of the wrong shape.
  TempDir dir("apps");
  TinyDataset t;
  t.write(dir.str());
  save_npy(dir / "val_mask.npy", make_npy("|b1", t.val.data(), {2, 3}));
  expect_error(train({"--data", dir.str(), "--quiet"}), 1, {dir / "val_mask.npy", "expected a 1-d mask of length 6, found shape (2, 3)"});
  t.write(dir.str());
  save_npy(dir / "edge_index.npy", t.edges.data(), {4, 4});
  expect_error(train({"--data", dir.str(), "--quiet"}), 1, {dir / "edge_index.npy", "expected shape (2, E)", "found (4, 4)"});
}

// Checkpoints given to --load: missing, corrupt, truncated, or for another model or dataset.
BOOST_AUTO_TEST_CASE(bad_checkpoints) {
  TempDir dir("apps");
  TinyDataset().write(dir / "data");
  const std::string good = dir / "good";
  const Run saved = train({"--data", dir / "data", "--epochs", "5", "--quiet", "--save", good});
  BOOST_REQUIRE_MESSAGE(saved.code == 0, saved.err);
  const Run ok = train({"--data", dir / "data", "--load", good, "--eval-only", "--quiet"});
  BOOST_TEST(ok.code == 0, ok.err);
  auto copy = [&](const std::string& name) {
    const std::string d = dir / name;
    fs::copy(good, d, fs::copy_options::recursive);
    return d;
  };
  // The first weight file of the checkpoint (e.g. conv1.weight.npy).
  std::string weight_file;
  for (const auto& e : fs::directory_iterator(good)) {
    const std::string f = e.path().filename().string();
    if (f.find("weight") != std::string::npos && (weight_file.empty() || f < weight_file)) weight_file = f;
  }
  BOOST_REQUIRE(!weight_file.empty());
  auto load = [&](const std::string& ckpt, const std::string& data) {
    return train({"--data", data, "--load", ckpt, "--eval-only", "--quiet"});
  };

  expect_error(load(dir / "nowhere", dir / "data"), 1, {dir / "nowhere", "missing checkpoint directory"});

  std::string d = copy("truncated");
  fs::resize_file(d + "/" + weight_file, fs::file_size(d + "/" + weight_file) - 6);
  expect_error(load(d, dir / "data"), 1, {d + "/" + weight_file, "truncated"});

  d = copy("garbage");
  write_file(d + "/" + weight_file, "not a numpy file at all");
  expect_error(load(d, dir / "data"), 1, {d + "/" + weight_file, "not a .npy file"});

  d = copy("missing_weight");
  fs::remove(d + "/" + weight_file);
  expect_error(load(d, dir / "data"), 1, {d + "/" + weight_file, "missing file"});

  d = copy("bad_json");
  write_file(d + "/config.json", "{\"model\": \"gat\", ");
  expect_error(load(d, dir / "data"), 1, {d + "/config.json", "invalid JSON"});

  d = copy("no_field");
  {
    nlohmann::json c = read_json(d + "/config.json");
    c.erase("heads");
    write_file(d + "/config.json", c.dump());
  }
  expect_error(load(d, dir / "data"), 1, {d + "/config.json", "missing field 'heads'"});

  d = copy("wrong_type");
  {
    nlohmann::json c = read_json(d + "/config.json");
    c["dropout"] = "0.5";
    write_file(d + "/config.json", c.dump());
  }
  expect_error(load(d, dir / "data"), 1, {d + "/config.json", "field 'dropout' = \"0.5\" is not a number"});

  d = copy("zero_heads");
  {
    nlohmann::json c = read_json(d + "/config.json");
    c["heads"] = 0;
    write_file(d + "/config.json", c.dump());
  }
  expect_error(load(d, dir / "data"), 1, {d + "/config.json", "heads must be positive"});

  // config.json and the weights disagree: the configuration names a wider hidden layer.
  d = copy("mismatch");
  {
    nlohmann::json c = read_json(d + "/config.json");
    c["hidden"] = c.at("hidden").get<int>() + 3;
    write_file(d + "/config.json", c.dump());
  }
  expect_error(load(d, dir / "data"), 1, {d + "/conv1.", "does not match the model's"});

  // A checkpoint of the tiny dataset (4 features, 3 classes) on the synthetic graph (64, 5).
  const Run other = train({"--load", good, "--eval-only", "--quiet"});
  expect_error(other, 1, {good + "/config.json", "the model expects 4 features and 3 classes, the data has 64 and 5"});
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================ bad command lines: exit 2

BOOST_AUTO_TEST_SUITE(bad_command_lines)

BOOST_AUTO_TEST_CASE(values_out_of_range_name_the_option) {
  const std::vector<std::vector<std::string>> cases = {
      {"--epochs=-5"}, {"--epochs", "-5"}, {"--epochs", "0"}, {"--epochs", "ten"},
      {"--dropout", "1"}, {"--dropout", "1.5"}, {"--dropout", "-0.1"}, {"--attn-dropout", "1"},
      {"--heads", "0"}, {"--out-heads", "0"}, {"--hidden", "0"}, {"--lr", "-1"}, {"--patience", "0"},
      {"--threads", "0"}, {"--model", "transformer"}, {"--preset", "imagenet"}, {"--weight-decay", "2"},
  };
  for (const auto& args : cases) {
    const std::string option = args[0].substr(0, args[0].find('='));
    std::vector<std::string> full = args;
    full.push_back("--quiet");
    expect_failure(train(full), 2, {option});
  }
}

BOOST_AUTO_TEST_CASE(unknown_options_and_arguments) {
  expect_failure(train({"--bogus"}), 2, {"--bogus"});
  expect_failure(train({"--epochs", "5", "--eval-olny"}), 2, {"--eval-olny"});
  expect_failure(train({"stray-argument"}), 2, {"stray-argument"});
  expect_failure(train({"--epochs"}), 2, {"--epochs"});
}

// --explain: its options go together, the node must be in the graph, and both are known before
// any epoch runs.
BOOST_AUTO_TEST_CASE(explain_options_that_do_not_fit) {
  TempDir dir("apps");
  expect_error(train({"--explain", "3", "--quiet"}), 2, {"--explain 3 needs --explain-out"});
  expect_error(train({"--explain-out", dir / "e.svg", "--quiet"}), 2, {"--explain-out and --explain-data need --explain"});
  expect_error(train({"--explain", "2000", "--explain-out", dir / "e.svg", "--quiet"}), 2,
               {"--explain 2000: the graph has 2000 nodes (0..1999)"});
  expect_error(train({"--explain", "1", "--explain-out", dir / "e.json", "--quiet"}), 2,
               {"--explain-out", "would overwrite the picture", "--explain-data"});
  expect_failure(train({"--explain", "1", "--explain-out", dir / "e.svg", "--explain-reduce", "sum", "--quiet"}), 2,
                 {"--explain-reduce", "sum"});
  expect_failure(train({"--explain", "1", "--explain-out", "/nonexistent/dir/e.svg", "--quiet"}), 2,
                 {"--explain-out", "/nonexistent/dir"});
  BOOST_TEST(!fs::exists(dir / "e.svg"));
  BOOST_TEST(!fs::exists(dir / "e.json"));
}

BOOST_AUTO_TEST_CASE(data_directory_that_does_not_exist) {
  expect_failure(train({"--data", "/nonexistent/gatgrad-data", "--quiet"}), 2, {"--data", "/nonexistent/gatgrad-data"});
}

// Output paths are checked before anything is read or trained: a full-length run (no
// --epochs) on the synthetic graph must fail at once.
BOOST_AUTO_TEST_CASE(unwritable_output_paths_fail_before_training) {
  TempDir dir("apps");
  write_file(dir / "a-file", "x");
  const double limit = kSanitized ? 5.0 : 1.0;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--metrics-json", "/nonexistent/dir/m.json"}, {"--predict-out", "/nonexistent/dir/p.npy"},
      {"--attention-out", "/nonexistent/dir/a.csv"}, {"--plot", "/nonexistent/dir/p.svg"},
      {"--save", "/nonexistent/dir/ckpt"},           {"--metrics-json", dir.str()},
      {"--save", dir / "a-file"},                    {"--metrics-json", dir / "a-file/m.json"},
      // Folders where access(W_OK) says yes to root but nothing can be created.
      {"--save", "/proc/gatgrad-ckpt"},              {"--metrics-json", "/proc/gatgrad-m.json"},
  };
  for (const auto& [option, path] : cases) {
    const Run r = train({option, path});
    expect_error(r, 2, {option, path});
    BOOST_TEST(r.seconds < limit, option << " " << path << " took " << r.seconds << " s to fail");
    BOOST_TEST(r.out.empty(), "printed before failing: " << r.out);
  }
  BOOST_TEST(!fs::exists("/nonexistent/dir"));
}

// --save into a folder holding other files: refused before training, the files untouched.
BOOST_AUTO_TEST_CASE(save_into_a_folder_that_is_not_a_checkpoint_fails_before_training) {
  TempDir dir("apps");
  fs::create_directories(dir / "thesis");
  write_file(dir / "thesis/chapter1.tex", "precious");
  expect_error(train({"--save", dir / "thesis", "--epochs", "5", "--quiet"}), 2, {"--save", dir / "thesis"});
  BOOST_TEST(read_file(dir / "thesis/chapter1.tex") == "precious");
}

// An all-false val_mask.npy or test_mask.npy is refused by load_dataset, naming the file.
BOOST_AUTO_TEST_CASE(empty_validation_or_test_mask_names_the_file) {
  for (const auto& [file, words] : {std::pair<std::string, std::string>{"val_mask.npy", "no validation node"},
                                    std::pair<std::string, std::string>{"test_mask.npy", "no test node"}}) {
    TempDir dir("apps");
    TinyDataset t;
    (file == "val_mask.npy" ? t.val : t.test).assign(6, 0);
    t.write(dir.str());
    expect_error(train({"--data", dir.str(), "--epochs", "5", "--quiet"}), 1, {dir / file, words});
  }
}

BOOST_AUTO_TEST_CASE(eval_only_needs_load) {
  const Run r = train({"--eval-only"});
  expect_error(r, 2, {"--eval-only needs --load"});
  BOOST_TEST(r.seconds < (kSanitized ? 5.0 : 1.0));
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================ values CLI11 would let through

BOOST_AUTO_TEST_SUITE(values_cli11_lets_through)

// CLI::Range lets NaN through (every comparison with NaN is false), and NaN means "keep the
// preset's value" in gat_train.cpp's Options: `--lr nan` must be refused, not train with 0.005.
BOOST_AUTO_TEST_CASE(nan_values_are_refused) {
  for (const char* option : {"--lr", "--weight-decay", "--dropout", "--attn-dropout"})
    expect_failure(train({option, "nan", "--epochs", "1", "--quiet"}), 2, {option});
}

// CLI11 would read "-1" into the uint64_t seed as 18446744073709551615.
BOOST_AUTO_TEST_CASE(negative_seed_is_refused) {
  expect_failure(train({"--seed", "-1", "--epochs", "1", "--quiet"}), 2, {"--seed"});
}

BOOST_AUTO_TEST_SUITE_END()
