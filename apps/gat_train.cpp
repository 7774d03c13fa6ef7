// gat-train: trains a GAT (or GATv2) for node classification and reports its test accuracy.
// With no arguments it trains on the built-in synthetic graph (a contextual stochastic block
// model) in a few seconds; `--data DIR` reads a directory of .npy files (see README).
// Hyper-parameters default to the paper's `cora` preset; every one has an option.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/app_common.hpp"
#include "apps/lib/train_outputs.hpp"
#include "autograd/tape.hpp"
#include "autograd/version.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "models/trainer.hpp"
#include "nn/checkpoint.hpp"

using namespace gatgrad;

namespace {

struct Options {
  std::string data;  // empty: the built-in synthetic graph
  std::string model = "gat";
  std::string preset;
  // Overrides of the preset; negative / NaN means "keep the preset's value".
  int64_t epochs = -1, patience = -1, hidden = -1, heads = -1, out_heads = -1;
  double lr = NAN, weight_decay = NAN, dropout = NAN, attn_dropout = NAN;
  bool no_normalize = false;
  uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  int64_t log_every = 10;
  bool quiet = false;
  std::string metrics_json, save, load, predict_out, attention_out, plot, resume;
  bool eval_only = false;
};

// CLI::Range lets NaN through (every comparison with NaN is false) and NaN means "keep the
// preset" in Options: this check wants a number in [lo, hi], which NaN is not.
CLI::Validator number_in(double lo, double hi) {
  auto show = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return std::string(buf);
  };
  const std::string range = "[" + show(lo) + ", " + show(hi) + "]";
  return CLI::Validator(
      [range, lo, hi](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !(v >= lo && v <= hi)) return "Value " + text + " not in " + range;
        return "";
      },
      "in " + range, "number_in");
}

// SIGINT / SIGTERM: finish the current epoch, save the state, exit 128 + signal.
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  g_signal.store(sig);
  g_stop.store(true);
  std::signal(sig, SIG_DFL);  // a second signal ends the program at once
}

// What DIR/resume/config.json holds: everything needed to continue the run exactly.
std::string resume_json(const Preset& p, const Options& o, const TrainState& state) {
  nlohmann::ordered_json j;
  j["model"] = nlohmann::json::parse(p.model.to_json());
  j["train"] = {{"max_epochs", p.train.max_epochs}, {"patience", p.train.patience}, {"lr", p.train.lr},
                {"weight_decay", p.train.weight_decay}};
  j["data"] = o.data;
  j["seed"] = o.seed;
  j["state"] = nlohmann::json::parse(state.to_json());
  return j.dump(2);
}

struct ResumePoint {
  Preset preset;
  std::string data;
  uint64_t seed = 0;
  TrainState state;
};

ResumePoint read_resume(const std::string& dir) {
  const std::string source = dir + "/resume/config.json";
  const std::string text = nn::read_checkpoint_config(dir + "/resume");
  ResumePoint r;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    r.preset.model = GATConfig::from_json(j.at("model").dump(), source);
    const auto& t = j.at("train");
    r.preset.train = TrainConfig{t.at("max_epochs").get<int64_t>(), t.at("patience").get<int64_t>(),
                                 t.at("lr").get<double>(), t.at("weight_decay").get<double>()};
    r.data = j.at("data").get<std::string>();
    r.seed = j.at("seed").get<uint64_t>();
    r.state = TrainState::from_json(j.at("state").dump(), source);
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(source + ": not a gat-train resume state: " + e.what());
  }
  return r;
}

constexpr int64_t kSyntheticEpochs = 200;  // default --epochs on the built-in synthetic graph

// The preset, then every option given on the command line.
Preset resolve_hyperparameters(const Options& o) {
  Preset p = make_preset(o.preset.empty() ? "cora" : o.preset);
  p.model.model = o.model;
  // The built-in graph is easy: 200 epochs keep the first command of the README to seconds.
  if (o.data.empty() && o.preset.empty()) p.train.max_epochs = kSyntheticEpochs;
  if (o.epochs >= 0) p.train.max_epochs = o.epochs;
  if (o.patience >= 0) p.train.patience = o.patience;
  if (o.hidden >= 0) p.model.hidden = o.hidden;
  if (o.heads >= 0) p.model.heads = o.heads;
  if (o.out_heads >= 0) p.model.out_heads = o.out_heads;
  if (!std::isnan(o.lr)) p.train.lr = o.lr;
  if (!std::isnan(o.weight_decay)) p.train.weight_decay = o.weight_decay;
  if (!std::isnan(o.dropout)) p.model.dropout = o.dropout;
  if (!std::isnan(o.attn_dropout)) p.model.attn_dropout = o.attn_dropout;
  p.model.normalize_features = !o.no_normalize;
  p.model.seed = o.seed;
  return p;
}

Dataset load_data(const Options& o, bool normalize) {
  if (o.data.empty()) {
    CsbmOptions c;  // the built-in graph: 2000 nodes, 5 classes, 64 Gaussian features
    c.seed = o.seed;
    return make_csbm(c);  // Gaussian features: never normalised
  }
  LoadOptions lo;
  lo.normalize_features = normalize;
  return load_dataset(o.data, lo);
}

// Live progress on a terminal, a plain line every `every` epochs otherwise.
class Progress {
 public:
  Progress(bool quiet, int64_t every, int64_t max_epochs)
      : quiet_(quiet), tty_(::isatty(STDOUT_FILENO)), every_(every), max_(max_epochs) {}
  void epoch(const EpochStats& s) {
    if (quiet_) return;
    if (tty_) {
      const int width = 24, done = static_cast<int>(width * s.epoch / std::max<int64_t>(max_, 1));
      std::printf("\r[%-*s] epoch %4lld/%lld  loss %.4f  train %.3f  val %.3f  %.2f ms/epoch ", width,
                  std::string(static_cast<size_t>(done), '#').c_str(), static_cast<long long>(s.epoch),
                  static_cast<long long>(max_), s.train_loss, s.train_accuracy, s.val_accuracy, s.step_ms);
      std::fflush(stdout);
      dirty_ = true;
    } else if (every_ > 0 && s.epoch % every_ == 0) {
      std::printf("epoch %lld train_loss=%.4f train_acc=%.4f val_loss=%.4f val_acc=%.4f epoch_ms=%.3f\n",
                  static_cast<long long>(s.epoch), s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy,
                  s.step_ms);
      std::fflush(stdout);  // a line at a time, also into pipes and log files
    }
  }
  void finish() {
    if (dirty_) std::printf("\n");
    dirty_ = false;
  }

 private:
  bool quiet_, tty_;
  int64_t every_, max_;
  bool dirty_ = false;
};

int run(Options o) {
  // Every output path is checked before any data is read or any epoch runs.
  if (!o.resume.empty() && o.save.empty()) o.save = o.resume;  // an interrupted resumed run stays resumable
  if (!o.metrics_json.empty()) app::check_writable_file("--metrics-json", o.metrics_json);
  if (!o.predict_out.empty()) app::check_writable_file("--predict-out", o.predict_out);
  if (!o.attention_out.empty()) app::check_writable_file("--attention-out", o.attention_out);
  if (!o.plot.empty()) app::check_writable_file("--plot", o.plot);
  if (!o.save.empty()) app::check_writable_dir("--save", o.save);
  if (o.eval_only && o.load.empty()) throw UsageError("--eval-only needs --load DIR");
  if (!o.resume.empty() && (o.eval_only || !o.load.empty())) throw UsageError("--resume cannot be combined with --load or --eval-only");

  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));

  Preset p = resolve_hyperparameters(o);
  ResumePoint resume;
  if (!o.resume.empty()) {  // the interrupted run's configuration, data and position
    resume = read_resume(o.resume);
    p = resume.preset;
    if (o.data.empty()) o.data = resume.data;
    o.seed = resume.seed;
  }
  if (!o.load.empty()) {  // the checkpoint's configuration, including its preprocessing
    p.model = GATConfig::from_json(nn::read_checkpoint_config(o.load), o.load + "/config.json");
  }
  const Dataset d = load_data(o, p.model.normalize_features);
  const NodeData data = prepare_node_data(d, p.model.add_self_loops);
  if (o.load.empty() && o.resume.empty()) {
    p.model.in_features = d.num_features;
    p.model.num_classes = d.num_classes;
  } else if (p.model.in_features != d.num_features || p.model.num_classes != d.num_classes) {
    throw DataError((o.load.empty() ? o.resume + "/resume" : o.load) + "/config.json: the model expects " +
                    std::to_string(p.model.in_features) + " features and " + std::to_string(p.model.num_classes) +
                    " classes, the data has " + std::to_string(d.num_features) + " and " +
                    std::to_string(d.num_classes));
  }
  GAT model(p.model);
  if (!o.load.empty()) nn::load_checkpoint(o.load, model, nullptr);
  nn::Adam optimizer(model.parameters(), p.train.lr, 0.9, 0.999, 1e-8, p.train.weight_decay);
  TrainState state;
  if (!o.resume.empty()) {
    nn::load_checkpoint(o.resume + "/resume", model, &optimizer);
    state = resume.state;
    GAT best(p.model);  // the kept parameters are the checkpoint at the top of the directory
    nn::load_checkpoint(o.resume, best, nullptr);
    for (const Tensor& t : best.parameters()) state.kept.push_back(t.clone());
  }

  if (!o.quiet)
    std::printf("gatgrad %s: %s on %s (%lld nodes, %lld edges, %lld features, %lld classes), %d threads\n",
                version(), p.model.model.c_str(), o.data.empty() ? "the synthetic graph" : o.data.c_str(),
                static_cast<long long>(d.num_nodes), static_cast<long long>(d.num_edges()),
                static_cast<long long>(d.num_features), static_cast<long long>(d.num_classes), threads);

  TrainResult result;
  if (o.eval_only) {
    result.val = evaluate(model, data, data.val_rows);
    result.test = evaluate(model, data, data.test_rows);
  } else {
    if (!o.resume.empty() && !o.quiet)
      std::printf("resuming from %s at epoch %lld\n", o.resume.c_str(), static_cast<long long>(state.epoch));
    Progress progress(o.quiet, o.log_every, p.train.max_epochs);
    TrainHooks hooks;
    hooks.on_epoch = [&](const EpochStats& s) { progress.epoch(s); };
    hooks.stop = &g_stop;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
      result = train_node_classifier(model, data, p.train, optimizer, state, hooks);
    } catch (const TrainingDiverged& e) {
      // The model is back at the best parameters before the divergence: with --save, they are
      // the checkpoint (replacing the directory, as a finished run does); without a good epoch
      // (diverged at once), whatever DIR held is left as it was.
      progress.finish();
      std::string kept = "nothing saved (no --save)";
      if (!o.save.empty() && e.best_epoch == 0) {
        kept = "no epoch before it was good: " + o.save + " is left as it was";
      } else if (!o.save.empty()) {
        const std::string best = "the last good checkpoint (epoch " + std::to_string(e.best_epoch) + ", the best before it)";
        try {
          nn::save_checkpoint(o.save, model, nullptr, p.model.to_json());
          kept = best + " is saved in " + o.save;
        } catch (const std::exception& failed) {
          kept = "saving " + best + " failed: " + failed.what();
        }
      }
      std::fprintf(stderr, "gat-train: %s; %s\n", e.what(), kept.c_str());
      return app::kExitError;
    }
    progress.finish();
    if (result.interrupted) {
      const int sig = g_signal.load();
      if (!o.save.empty()) {
        GAT best(p.model);  // the best model at the top of the directory, the run's state below it
        restore_parameters(best, state.kept);
        nn::save_checkpoint(o.save, best, nullptr, p.model.to_json());
        nn::save_checkpoint(o.save + "/resume", model, &optimizer, resume_json(p, o, state));
        std::fprintf(stderr, "gat-train: interrupted by signal %d after epoch %lld; state saved to %s/resume "
                     "(continue with --resume %s)\n", sig, static_cast<long long>(state.epoch), o.save.c_str(),
                     o.save.c_str());
      } else {
        std::fprintf(stderr, "gat-train: interrupted by signal %d after epoch %lld; nothing saved (no --save)\n", sig,
                     static_cast<long long>(state.epoch));
      }
      return 128 + sig;
    }
  }

  std::vector<double> step_ms;
  for (const EpochStats& s : result.history) step_ms.push_back(s.step_ms);
  app::RunInfo info{threads, o.seed, app::peak_rss_mb(), app::median(step_ms)};
  if (!o.quiet) {
    if (!o.eval_only)
      std::printf("best_epoch=%lld epochs_run=%lld epoch_ms_median=%.3f train_seconds=%.2f peak_rss_mb=%.1f\n",
                  static_cast<long long>(result.best_epoch), static_cast<long long>(result.epochs_run),
                  info.epoch_ms_median, result.train_seconds, info.peak_rss_mb);
    std::printf("val_accuracy=%.4f test_accuracy=%.4f\n", result.val.accuracy, result.test.accuracy);
  }

  // Outputs, all from the restored best model.
  if (!o.metrics_json.empty()) app::write_metrics_json(o.metrics_json, result, info);
  if (!o.save.empty()) nn::save_checkpoint(o.save, model, nullptr, p.model.to_json());
  if (!o.predict_out.empty() || !o.attention_out.empty()) {
    model.eval();
    NoGradGuard no_grad;
    std::vector<AttentionOut> attention;
    Tensor logits = model.forward(data.x, data.graph, o.attention_out.empty() ? nullptr : &attention);
    if (!o.predict_out.empty()) app::write_predictions(o.predict_out, logits);
    if (!o.attention_out.empty()) app::write_attention_csv(o.attention_out, attention);
  }
  if (!o.plot.empty())
    app::write_training_plot(o.plot, result.history, p.model.model + " on " + (o.data.empty() ? "synthetic" : o.data));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cli{"Train a graph attention network (GAT or GATv2) for node classification."};
  cli.add_option("--data", o.data, "directory of .npy files (x, y, edge_index, masks); default: synthetic graph")
      ->check(CLI::ExistingDirectory);
  cli.add_option("--model", o.model, "gat or gatv2")->check(CLI::IsMember({"gat", "gatv2"}));
  cli.add_option("--preset", o.preset, "cora, citeseer or pubmed (default: cora's hyper-parameters)")
      ->check(CLI::IsMember(preset_names()));
  cli.add_option("--epochs", o.epochs, "maximum number of epochs (default 1000; 200 on the synthetic graph)")->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cli.add_option("--patience", o.patience, "epochs without improvement before stopping")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cli.add_option("--lr", o.lr, "Adam learning rate")->check(number_in(0.0, std::numeric_limits<double>::max()));
  cli.add_option("--weight-decay", o.weight_decay, "L2 penalty added to the gradient")->check(number_in(0.0, 1.0));
  cli.add_option("--hidden", o.hidden, "features per head in the hidden layer")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  cli.add_option("--heads", o.heads, "heads in the hidden layer")->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cli.add_option("--out-heads", o.out_heads, "heads in the output layer (averaged)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cli.add_option("--dropout", o.dropout, "dropout on each layer's input, in [0, 1)")
      ->check(number_in(0.0, 0.999999));
  cli.add_option("--attn-dropout", o.attn_dropout, "dropout on attention coefficients, in [0, 1)")
      ->check(number_in(0.0, 0.999999));
  cli.add_flag("--no-normalize", o.no_normalize, "do not row-normalise features read from files");
  cli.add_option("--seed", o.seed, "seed of initial weights, dropout and the synthetic graph")
      ->check(CLI::Validator([](std::string& v) { return v.find('-') == std::string::npos ? "" : "must be >= 0"; },
                             "", "non-negative"));
  cli.add_option("--threads", o.threads, "oneTBB worker threads (default: all cores)")->check(CLI::Range(1, 1024));
  cli.add_option("--log-every", o.log_every, "when not on a terminal, print a line every N epochs")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cli.add_flag("--quiet", o.quiet, "print nothing but errors");
  cli.add_option("--metrics-json", o.metrics_json, "write metrics and curves to this JSON file");
  cli.add_option("--save", o.save, "save the best model as a checkpoint directory");
  cli.add_option("--load", o.load, "load a checkpoint directory before training or evaluating");
  cli.add_flag("--eval-only", o.eval_only, "evaluate the --load'ed model without training");
  cli.add_option("--resume", o.resume, "continue the run interrupted while saving to this directory")
      ->check(CLI::ExistingDirectory);
  cli.add_option("--predict-out", o.predict_out, "write the logits (N×C float32) to this .npy file");
  cli.add_option("--attention-out", o.attention_out, "write every layer's attention to this CSV file");
  cli.add_option("--plot", o.plot, "draw loss and accuracy curves into this SVG file");
  cli.set_version_flag("--version", std::string("gat-train (gatgrad) ") + version());
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? app::kExitOk : app::kExitUsage;
  }
  return app::run_main("gat-train", [&] { return run(o); });
}
