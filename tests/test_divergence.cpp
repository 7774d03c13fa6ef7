// A NaN or infinite loss stops training at once with a message naming the epoch, and nothing
// trained on it survives: in the library (train_node_classifier throws TrainingDiverged with the
// model back at the best parameters before it) and in gat-train (exit 1, the message on
// stderr, --save DIR holding the last good model, or left as it was when no epoch was good).
// To add a case: make a run diverge (a huge learning rate, or a NaN written into a parameter
// from TrainHooks::on_epoch) and check what it leaves behind against a run that stopped before.
#define BOOST_TEST_MODULE divergence
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/tape.hpp"
#include "graph/synthetic.hpp"
#include "models/presets.hpp"
#include "train/trainer.hpp"
#include "nn/optim.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;

namespace {

// ---------------------------------------------------------------- library

// A small CSBM graph and the cora preset scaled down (2 heads), trained for at most 30 epochs.
struct Setup {
  NodeData data;
  Preset preset;
  Setup() {
    CsbmOptions c;
    c.num_nodes = 300;
    c.val_size = 100;
    c.test_size = 100;
    c.seed = 4;
    const Dataset d = make_csbm(c);
    preset = make_preset("cora");
    data = prepare_node_data(d, preset.model.add_self_loops);
    preset.model.in_features = d.num_features;
    preset.model.num_classes = d.num_classes;
    preset.model.heads = 2;
    preset.train.max_epochs = 30;
  }
};

std::vector<std::vector<double>> values_of(const GAT& model) {
  std::vector<std::vector<double>> v;
  for (const Tensor& p : model.parameters()) v.push_back(p.to_vector());
  return v;
}

bool all_finite(const std::vector<std::vector<double>>& params) {
  for (const auto& p : params)
    for (double x : p)
      if (!std::isfinite(x)) return false;
  return true;
}

// Runs `train`; the TrainingDiverged it throws, or nothing when it returns.
template <class F>
std::optional<TrainingDiverged> divergence_of(F train) {
  try {
    train();
  } catch (const TrainingDiverged& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(library)

// Adam's first step moves every weight by about lr: with lr = 1e30 the logits overflow, so the
// validation loss of epoch 1 (after its step) is NaN or infinite. An infinite validation loss
// passes `val_loss <= best_loss` (best_loss starts at +Inf) and a NaN accuracy-only test: it
// must stop training, not become the best model.
BOOST_AUTO_TEST_CASE(a_huge_learning_rate_stops_at_epoch_1_with_the_initial_parameters) {
  Setup s;
  s.preset.train.lr = 1e30;
  GAT model(s.preset.model);
  const auto initial = values_of(model);
  nn::Adam adam = make_optimizer(model.parameters(), s.preset.train);
  TrainState state;
  int epochs_reported = 0;
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochStats&) { ++epochs_reported; };
  const auto d = divergence_of([&] { train_node_classifier(model, s.data, s.preset.train, adam, state, hooks); });
  BOOST_TEST_REQUIRE(d.has_value(), "training did not diverge");
  const TrainingDiverged& e = *d;
  const std::string what = e.what();
  BOOST_TEST(what.rfind("training diverged at epoch 1: validation loss is ", 0) == 0, what);
  BOOST_TEST((what.find("nan") != std::string::npos || what.find("inf") != std::string::npos), what);
  BOOST_TEST(e.epoch == 1);
  BOOST_TEST(e.loss == "validation");
  BOOST_TEST(!std::isfinite(e.value));
  BOOST_TEST(e.best_epoch == 0);
  BOOST_TEST(epochs_reported == 0);  // the diverged epoch is never reported as a result
  BOOST_TEST(state.epoch == 0);
  BOOST_TEST(state.history.empty());
  BOOST_TEST(state.best_epoch == 0);
  // The model is back at its initial parameters, not at the overflowed ones.
  const auto after = values_of(model);
  BOOST_TEST(all_finite(after));
  BOOST_TEST((after == initial), "the parameters are not the initial ones");
}

// The same through the simple overload, which owns its optimiser.
BOOST_AUTO_TEST_CASE(the_simple_overload_throws_the_same) {
  Setup s;
  s.preset.train.lr = 1e30;
  GAT model(s.preset.model);
  BOOST_CHECK_EXCEPTION(train_node_classifier(model, s.data, s.preset.train), TrainingDiverged,
                        message_has({"training diverged at epoch 1: ", " loss is "}));
  BOOST_CHECK_THROW(train_node_classifier(model, s.data, s.preset.train), Error);  // a gatgrad::Error
  BOOST_TEST(all_finite(values_of(model)));
}

// A NaN written into one weight after epoch 3: epoch 4's training loss is NaN, training stops
// before stepping on it, and the model holds exactly what a run of 3 epochs ends with.
BOOST_AUTO_TEST_CASE(a_nan_parameter_stops_the_next_epoch_at_the_best_model_before_it) {
  Setup s;
  TrainConfig three = s.preset.train;
  three.max_epochs = 3;
  GAT reference(s.preset.model);
  const TrainResult ref = train_node_classifier(reference, s.data, three);
  BOOST_REQUIRE(ref.epochs_run == 3);

  GAT model(s.preset.model);
  std::vector<EpochStats> seen;
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochStats& st) {
    seen.push_back(st);
    if (st.epoch == 3) model.parameters().front().data<float>()[0] = NAN;
  };
  const auto d = divergence_of([&] { train_node_classifier(model, s.data, s.preset.train, hooks); });
  BOOST_TEST_REQUIRE(d.has_value(), "training did not diverge");
  const TrainingDiverged& e = *d;
  BOOST_TEST(std::string(e.what()) == "training diverged at epoch 4: train loss is nan");
  BOOST_TEST(e.epoch == 4);
  BOOST_TEST(e.loss == "train");
  BOOST_TEST(std::isnan(e.value));
  BOOST_TEST(e.best_epoch == ref.best_epoch);
  BOOST_TEST(seen.size() == 3u);
  BOOST_TEST(tape_size() == 0u);  // epoch 4's forward pass is not left on the tape
  for (const EpochStats& st : seen) BOOST_TEST((std::isfinite(st.train_loss) && std::isfinite(st.val_loss)));
  const auto after = values_of(model);
  BOOST_TEST(all_finite(after));
  BOOST_TEST((after == values_of(reference)), "the parameters are not those of the 3-epoch run's best epoch");
}

// Infinity instead of NaN: the message says so.
BOOST_AUTO_TEST_CASE(an_infinite_parameter_is_reported_too) {
  Setup s;
  GAT model(s.preset.model);
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochStats& st) {
    if (st.epoch == 2)
      for (const Tensor& p : model.parameters())
        for (float& v : p.span<float>()) v = INFINITY;
  };
  const auto d = divergence_of([&] { train_node_classifier(model, s.data, s.preset.train, hooks); });
  BOOST_TEST_REQUIRE(d.has_value(), "training did not diverge");
  const TrainingDiverged& e = *d;
  const std::string what = e.what();
  BOOST_TEST(what.rfind("training diverged at epoch 3: train loss is ", 0) == 0, what);
  BOOST_TEST((what.find("nan") != std::string::npos || what.find("inf") != std::string::npos), what);
  BOOST_TEST(e.best_epoch >= 1);
  BOOST_TEST(e.best_epoch <= 2);
  BOOST_TEST(tape_size() == 0u);
  BOOST_TEST(all_finite(values_of(model)));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- gat-train

namespace {

// gat-train with the given arguments; a sanitizer report in its stderr is a failure.
Run train(std::vector<std::string> args) { return run_program("gat-train", std::move(args), 300); }

// gat-train's stderr "gat-train: training diverged at epoch <E>: <train|validation> loss is
// <nan|inf|-inf>; <what happened to --save DIR>\n", taken apart; ok is false when it is not that.
struct Divergence {
  bool ok = false;
  int epoch = 0;
  std::string loss, value, rest;
};
bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }
Divergence parse_divergence(const std::string& err) {
  Divergence d;
  const std::string head = "gat-train: training diverged at epoch ";
  if (err.rfind(head, 0) != 0 || err.back() != '\n' || err.find('\n') != err.size() - 1) return d;
  const size_t colon = err.find(": ", head.size()), is = err.find(" loss is ", colon), semi = err.find("; ", is);
  if (semi == std::string::npos) return d;
  const std::string epoch = err.substr(head.size(), colon - head.size());
  d.loss = err.substr(colon + 2, is - colon - 2);
  d.value = err.substr(is + 9, semi - is - 9);
  d.rest = err.substr(semi + 2, err.size() - 1 - (semi + 2));
  d.ok = all_digits(epoch) && (d.loss == "train" || d.loss == "validation") &&
         (d.value == "nan" || d.value == "inf" || d.value == "-inf");
  if (d.ok) d.epoch = std::stoi(epoch);
  return d;
}

// Every file of a checkpoint directory (recursively), by relative path.
std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
  return files;
}

// A learning rate at which gat-train on the built-in synthetic graph (seed 0, 2 heads) has a
// good first epoch and then overflows: Adam moves each weight by about lr per step, the
// validation loss after the first step is about 45 lr^2 (finite), and the second step overflows
// the output layer's attention scores (they grow with the fourth power of the weights). Every
// lr from 1e10 to 3e11 diverges at epoch 2 in Release; 1e12 and more overflow at epoch 1 already.
const std::string kDivergingLr = "1e10";

}  // namespace

BOOST_AUTO_TEST_SUITE(program)

// Diverged at once: exit 1, the message on stderr, and the checkpoint already in DIR (from an
// earlier good run) left byte for byte as it was.
BOOST_AUTO_TEST_CASE(divergence_at_epoch_1_leaves_the_save_directory_as_it_was) {
  TempDir dir("divergence");
  const std::string ckpt = dir / "ckpt";
  const Run good = train({"--epochs", "3", "--heads", "2", "--quiet", "--save", ckpt});
  BOOST_REQUIRE_MESSAGE(good.code == 0, good.err);
  const auto before = files_of(ckpt);
  BOOST_REQUIRE(before.count("config.json"));

  const Run r = train({"--lr", "1e30", "--epochs", "20", "--heads", "2", "--log-every", "1", "--save", ckpt});
  BOOST_TEST(r.code == 1, "exit code " << r.code << "; stderr: " << r.err);
  const Divergence d = parse_divergence(r.err);
  BOOST_TEST(d.ok, "not a divergence message: " << r.err);
  BOOST_TEST(d.epoch == 1);
  BOOST_TEST(d.loss == "validation");
  BOOST_TEST(d.rest == "no epoch before it was good: " + ckpt + " is left as it was");
  BOOST_TEST(r.out.find("\nepoch ") == std::string::npos, "an epoch was reported: " << r.out);
  BOOST_TEST((files_of(ckpt) == before), "the checkpoint in " << ckpt << " changed");

  // Without --save the message says that nothing was saved; a fresh --save DIR is not created.
  const Run nosave = train({"--lr", "1e30", "--epochs", "20", "--heads", "2", "--quiet"});
  BOOST_TEST(nosave.code == 1);
  BOOST_TEST(nosave.err.find("training diverged at epoch 1: ") != std::string::npos, nosave.err);
  BOOST_TEST(nosave.err.find("nothing saved (no --save)") != std::string::npos, nosave.err);
  const Run fresh = train({"--lr", "1e30", "--epochs", "20", "--heads", "2", "--quiet", "--save", dir / "fresh"});
  BOOST_TEST(fresh.code == 1);
  BOOST_TEST(!fs::exists(dir / "fresh"));
}

// Diverged after good epochs: exit 1, the epoch named, and in DIR the best model of the good
// epochs: byte for byte the checkpoint of a run stopped (--epochs) just before the divergence,
// and it loads.
BOOST_AUTO_TEST_CASE(divergence_after_good_epochs_keeps_the_last_good_checkpoint) {
  TempDir dir("divergence");
  const std::string ckpt = dir / "ckpt", before = dir / "before";
  const std::vector<std::string> common = {"--lr", kDivergingLr, "--heads", "2", "--log-every", "1"};
  std::vector<std::string> args = common;
  for (const char* a : {"--epochs", "200", "--save"}) args.push_back(a);
  args.push_back(ckpt);
  const Run r = train(args);
  BOOST_TEST_REQUIRE(r.code == 1, "exit code " << r.code << "; stderr: " << r.err << "\nstdout: " << r.out);
  const Divergence d = parse_divergence(r.err);
  BOOST_TEST_REQUIRE(d.ok, "not a divergence message: " << r.err);
  const int diverged = d.epoch;
  const std::string best_at = "the last good checkpoint (epoch ";
  const size_t comma = d.rest.find(',');
  BOOST_TEST_REQUIRE((d.rest.rfind(best_at, 0) == 0 && comma != std::string::npos &&
                      all_digits(d.rest.substr(best_at.size(), comma - best_at.size()))),
                     d.rest);
  const int best = std::stoi(d.rest.substr(best_at.size()));
  BOOST_TEST(d.rest == best_at + std::to_string(best) + ", the best before it) is saved in " + ckpt);
  BOOST_TEST_MESSAGE("diverged at epoch " << diverged << " (" << d.loss << " loss " << d.value << "), best epoch " << best);
  BOOST_TEST_REQUIRE(diverged >= 2, "no good epoch before the divergence: choose a smaller kDivergingLr");
  BOOST_TEST(best >= 1);
  BOOST_TEST(best < diverged);
  // Every good epoch was reported, the diverged one was not.
  for (int epoch = 1; epoch < diverged; ++epoch)
    BOOST_TEST(r.out.find("epoch " + std::to_string(epoch) + " train_loss=") != std::string::npos, epoch);
  BOOST_TEST(r.out.find("epoch " + std::to_string(diverged) + " ") == std::string::npos, r.out);
  BOOST_TEST(r.out.find("test_accuracy") == std::string::npos, r.out);

  // The same run stopped after the last good epoch ends normally and saves its best model.
  args = common;
  for (const std::string& a : {std::string("--epochs"), std::to_string(diverged - 1), std::string("--save"), before})
    args.push_back(a);
  const Run stopped = train(args);
  BOOST_TEST_REQUIRE(stopped.code == 0, stopped.err);
  BOOST_TEST(stopped.out.find("best_epoch=" + std::to_string(best) + " ") != std::string::npos, stopped.out);
  // Parameters and configuration byte for byte; counters.json (the dropout streams' positions)
  // differs by the diverged epoch's forward pass.
  auto diverged_files = files_of(ckpt), stopped_files = files_of(before);
  BOOST_TEST(diverged_files.count("counters.json"));
  diverged_files.erase("counters.json");
  stopped_files.erase("counters.json");
  BOOST_TEST(diverged_files.size() >= 7u);  // config.json, conv1/conv2 weight, att, bias
  BOOST_TEST(diverged_files.count("config.json"));
  BOOST_TEST((diverged_files == stopped_files), "the checkpoint differs from the run stopped at epoch " << diverged - 1);

  // It loads and scores what the stopped run scored.
  const Run eval = train({"--load", ckpt, "--eval-only"});
  BOOST_TEST_REQUIRE(eval.code == 0, eval.err);
  const size_t at = stopped.out.find("val_accuracy=");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  BOOST_TEST(eval.out.find(stopped.out.substr(at)) != std::string::npos, eval.out << " vs " << stopped.out);
}

BOOST_AUTO_TEST_SUITE_END()
