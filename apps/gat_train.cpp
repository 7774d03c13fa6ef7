// gat-train: trains a GAT (or GATv2) for node classification and reports its test accuracy.
// With no arguments it trains on the built-in synthetic graph (a contextual stochastic block
// model) in a few seconds; `--data DIR` reads a directory of .npy files (see README);
// `mpirun -np P gat-train --partitions PARTS` trains on a graph cut by gat-partition, each
// rank holding one part, with the bits of one process (dist/distributed_steps.hpp).
// Hyper-parameters default to the paper's `cora` preset (models/presets.hpp); every one has an
// option. run() below is the whole program: arguments, hyper-parameters, data, model, the
// training loop (with its divergence and interruption), outputs.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

#include <CLI/CLI.hpp>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/app_common.hpp"
#include "apps/lib/config_options.hpp"
#include "apps/lib/graph_task.hpp"
#include "apps/lib/explain.hpp"
#include "apps/lib/synthetic_options.hpp"
#include "apps/lib/train_outputs.hpp"
#include "apps/lib/train_resume.hpp"
#include "autograd/tape.hpp"
#include "autograd/isa.hpp"
#include "autograd/version.hpp"
#include "graph/edge_features.hpp"
#include "graph/link_split.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "graph/synthetic_graphs.hpp"
#include "train/link_model.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"
#include "io/npy.hpp"
#include "nn/checkpoint.hpp"
#ifdef GATGRAD_HAVE_MPI
#include "dist/distributed_steps.hpp"
#endif

using namespace gatgrad;

namespace {

struct Options {
  std::string data;  // empty: the built-in synthetic graph
  std::string preset;  // empty: kDefaultPreset
  app::ConfigArgs config;  // the hyper-parameter options given (apps/lib/config_options.hpp), overriding the preset
  std::string task;        // --task as given ("" when not: node, or the --load'ed model's task)
  uint64_t seed = GATConfig{}.seed;  // the run's --seed (the model's), also the synthetic graph's
  int threads = 0;  // 0: all cores
  int64_t log_every = 10;
  bool quiet = false;
  std::string metrics_json, save, load, predict_out, attention_out, plot, resume;
  bool eval_only = false;
  std::string pairs;     // --task link with --predict-out: the .npy [P, 2] of node pairs to score
  CsbmOptions synthetic;         // the built-in graph's sizes (its seed is `seed`)
  int64_t graphs = -1;           // --graphs: the synthetic set of graphs instead (-1: not asked for)
  GraphSetOptions graph_set{.num_graphs = 0};  // its sizes (its seed is `seed`), when num_graphs > 0
  std::string partitions;        // distributed training: the partition folder (gat-partition)
  std::string partitioned_data;  // the dataset folder the partitions were cut from ("" for the synthetic graph)
  int64_t checkpoint_every = 0;  // with --save: the run's state every N epochs, for --resume
  int64_t explain = -1;          // --explain NODE: draw its attention (apps/lib/explain.hpp); -1: not asked for
  std::string explain_out, explain_data, explain_reduce = "max";
};

// ---- hyper-parameters and data ----

constexpr int64_t kSyntheticEpochs = 200;  // default --epochs on the built-in synthetic graph

// The preset, then every hyper-parameter option given on the command line.
Preset resolve_hyperparameters(const Options& o) {
  // Link prediction starts from its own preset (PyG's link_pred.py), graph classification from
  // the issue's PyG reference (tu), node classification from the paper's.
  Preset p = make_preset(!o.preset.empty() ? o.preset
                         : o.task == "link"  ? "link"
                         : o.task == "graph" ? "tu"
                                             : kDefaultPreset);
  // The built-in graph is easy: kSyntheticEpochs keep the first command of the README to seconds.
  if (o.data.empty() && o.partitioned_data.empty() && o.preset.empty()) p.train.max_epochs = kSyntheticEpochs;
  app::apply_config_options(o.config, p);
  return p;
}

// --resume DIR continues the run saved there as it was: every hyper-parameter option, and the
// data, seed and synthetic graph options, must equal its values (UsageError naming the option and
// both values otherwise); with --preset, so must the preset's values of the options not given
// (the same command with --resume appended describes the saved run). Run options (--threads,
// outputs, ...) are free.
void check_resumed_options(const Options& o, const CLI::App& cli, const app::ResumePoint& saved, const std::string& source) {
  app::check_same_as_saved(o.config, saved.preset, source);
  const std::string why = " (" + source + "): --resume continues that run as it was";
  if (!o.preset.empty()) {
    Preset asked = resolve_hyperparameters(o);
    app::fit_fanout_to_layers(o.config, asked);
    for (const app::ConfigOption& row : app::config_options())
      if (!o.config.has(row.name) && !same_field(asked, saved.preset, row.field))
        throw UsageError("--preset " + o.preset + " sets " + row.field + " " + field_text(asked, row.field) +
                         ", the resumed run's is " + field_text(saved.preset, row.field) + why);
  }
  auto differs = [&](const std::string& option, const std::string& asked, const std::string& was) {
    if (asked != was) throw UsageError(option + " " + asked + " differs from the resumed run's " + was + why);
  };
  if (!o.data.empty()) {  // (the same folder by another path is the same data)
    namespace fs = std::filesystem;
    std::error_code e1, e2;
    const bool same =
        !saved.data.empty() && fs::weakly_canonical(o.data, e1) == fs::weakly_canonical(saved.data, e2) && !e1 && !e2;
    if (!same) differs("--data", o.data, saved.data.empty() ? "(the synthetic graph)" : saved.data);
  }
  const bool set = saved.graph_set.num_graphs > 0;
  const int64_t saved_graphs = saved.motif_graphs > 0 ? saved.motif_graphs : set ? saved.graph_set.num_graphs : 0;
  if (cli.count("--graphs")) differs("--graphs", std::to_string(o.graphs), saved_graphs > 0 ? std::to_string(saved_graphs) : "(none)");
  const std::pair<const char*, std::pair<int64_t, int64_t>> synthetic[] = {
      {"--nodes", {o.synthetic.num_nodes, set ? saved.graph_set.nodes_per_graph : saved.synthetic.num_nodes}},
      {"--edges", {o.synthetic.num_edges, saved.synthetic.num_edges}},
      {"--features", {o.synthetic.num_features, set ? saved.graph_set.num_features : saved.synthetic.num_features}},
      {"--classes", {o.synthetic.num_classes, set ? saved.graph_set.num_labels : saved.synthetic.num_classes}},
      {"--train-per-class", {o.synthetic.train_per_class, saved.synthetic.train_per_class}},
      {"--edge-features", {o.synthetic.edge_dim, saved.synthetic.edge_dim}},
  };
  for (const auto& [option, values] : synthetic)
    if (cli.count(option)) differs(option, std::to_string(values.first), std::to_string(values.second));
}

// The options given over the preset, for validate_config to name the preset's values; nullptr when
// the configuration is a saved one (--resume, --load).
const app::ConfigArgs* options_over_preset(const Options& o) {
  return o.resume.empty() && o.load.empty() ? &o.config : nullptr;
}

struct Configuration {
  Preset preset;
  app::ResumePoint resume;   // with --resume: the interrupted run
  std::string saved_config;  // the config.json the model comes from ("" for a new model)
};

// The run's hyper-parameters: the preset and the options; with --resume, the interrupted run's
// (its data and seed too, into `o`); with --load, the saved model's configuration, its
// preprocessing included.
Configuration configure(Options& o, const CLI::App& cli) {
  Configuration c{resolve_hyperparameters(o), {}, ""};
  o.seed = c.preset.model.seed;
  if (!o.resume.empty()) {
    c.resume = app::read_resume_point(o.resume);
    c.saved_config = o.resume + "/resume/config.json";
    c.preset = c.resume.preset;
    check_resumed_options(o, cli, c.resume, c.saved_config);
    if (o.data.empty() && o.partitions.empty()) o.data = c.resume.data;
    o.seed = c.resume.seed;
    o.synthetic = c.resume.synthetic;
    o.graph_set = c.resume.graph_set;
  }
  if (!o.load.empty()) {
    c.saved_config = o.load + "/config.json";
    c.preset.model = GATConfig::from_json(nn::read_checkpoint_config(o.load), c.saved_config);
    if (!o.task.empty() && o.task != c.preset.model.task)
      throw UsageError("--task " + o.task + ": the model in " + o.load + " was trained for --task " + c.preset.model.task);
  }
  if (o.resume.empty()) app::fit_fanout_to_layers(o.config, c.preset);  // (a resumed run has its own)
  app::validate_config(c.preset, options_over_preset(o));
  return c;
}

// make() (make_steps); with --resume, a configuration it refuses is a fault of the saved state:
// a DataError naming DIR/resume/config.json (a fanout that does not fit, graph batches on one graph).
template <class Make>
auto naming_the_state(const Options& o, const Configuration& c, Make&& make) {
  try {
    return make();
  } catch (const UsageError& e) {
    if (o.resume.empty()) throw;
    throw DataError(c.saved_config + ": " + e.what());
  }
}

// The built-in graph of the options: its sizes and seed.
CsbmOptions synthetic_graph(const Options& o) {
  CsbmOptions c = o.synthetic;
  c.seed = o.seed;
  return c;
}

// The synthetic set of graphs of the options (num_graphs 0: the run does not use it).
GraphSetOptions synthetic_graph_set(const Options& o) {
  GraphSetOptions g = o.graph_set;
  g.seed = o.seed;
  return g;
}

// Where a resumed run finds this run's data again.
app::ResumePoint resume_point(const Options& o, const Preset& p, const TrainState& state, const std::string& data,
                              const CsbmOptions& graph) {
  return app::ResumePoint{p, data, o.seed, state, graph, synthetic_graph_set(o), 0, {}};
}

// --graphs N (or --preset ppi without --data): the synthetic set of N graphs, sized by --nodes
// (per graph), --features and --classes (labels) when given. Returns an error message, or "".
std::string choose_graph_set(const CLI::App& cli, Options& o) {
  const bool ppi_default = o.preset == "ppi" && o.data.empty() && o.partitions.empty() && o.resume.empty();
  if (o.graphs < 0 && !ppi_default) return "";
  if (!o.data.empty() || !o.partitions.empty())
    return "--graphs describes the synthetic set of graphs: not with --data or --partitions";
  if (cli.count("--edges") || cli.count("--train-per-class") || cli.count("--edge-features"))
    return "--edges, --train-per-class and --edge-features describe the single synthetic graph: with --graphs, give "
           "--nodes (per graph), --features and --classes (labels)";
  o.graph_set = GraphSetOptions{};
  if (o.graphs >= 0) o.graph_set.num_graphs = o.graphs;
  if (cli.count("--nodes")) o.graph_set.nodes_per_graph = o.synthetic.num_nodes;
  if (cli.count("--features")) o.graph_set.num_features = o.synthetic.num_features;
  if (cli.count("--classes")) o.graph_set.num_labels = o.synthetic.num_classes;
  return "";
}

// The run's data for the model `m`: filled into m's in_features and num_classes for a new
// model, checked against them for a saved one (`saved_config` names its config.json); the
// graph prepared for one full-batch forward, or for sampling mini-batches (`use`). Edge features
// (edge_attr.npy) set the model's edge_dim, in every mode.
// `summary` gets the line that describes the data; the Dataset itself is freed on return.
// The dataset of the options as it is read (--data, with the model's preprocessing) or made (the
// synthetic graph or set of graphs).
Dataset read_data(const Options& o, const GATConfig& m) {
  if (o.data.empty() && o.graph_set.num_graphs > 0) return make_graph_set(synthetic_graph_set(o));  // Gaussian features: never normalised
  if (o.data.empty()) return make_csbm(synthetic_graph(o));  // Gaussian features: never normalised
  LoadOptions lo;
  lo.normalize_features = m.normalize_features;
  lo.map_features = true;  // a float32 x.npy used as it is stays in the page cache, read where it lies
  return load_dataset(o.data, lo);
}

NodeData load_data(const Options& o, GATConfig& m, const std::string& saved_config, GraphUse use,
                   std::string& summary) {
  const Dataset d = read_data(o, m);
  if (saved_config.empty()) {
    m.in_features = d.num_features;
    m.num_classes = d.num_classes;
    m.edge_dim = d.edge_dim;
  } else if (m.in_features != d.num_features || m.num_classes != d.num_classes) {
    throw DataError(saved_config + ": the model expects " + std::to_string(m.in_features) + " features and " +
                    std::to_string(m.num_classes) + " classes, the data has " + std::to_string(d.num_features) +
                    " and " + std::to_string(d.num_classes));
  } else if (m.edge_dim != d.edge_dim) {
    throw DataError(saved_config + ": the model expects " + std::to_string(m.edge_dim) +
                    " edge features (edge_attr.npy columns), the data has " + std::to_string(d.edge_dim));
  }
  if (d.edge_dim == 0 && o.config.has("--edge-fill"))
    throw UsageError("--edge-fill needs edge features (edge_attr.npy in the --data directory)");
  const std::string name = !o.data.empty() ? o.data : d.num_graphs > 0 ? "the synthetic graph set" : "the synthetic graph";
  summary = name + " (" + (d.num_graphs > 0 ? std::to_string(d.num_graphs) + " graphs, " : std::string()) +
            std::to_string(d.num_nodes) + " nodes, " + std::to_string(d.num_edges()) + " edges, " +
            std::to_string(d.num_features) + " features, " + std::to_string(d.num_classes) +
            (d.multilabel ? " labels per node" : " classes") +
            (d.edge_dim > 0 ? ", " + std::to_string(d.edge_dim) + " edge features" : std::string()) + ")";
  return prepare_node_data(d, m.add_self_loops, DType::f32, use, parse_edge_fill(m.edge_fill));
}

#ifdef GATGRAD_HAVE_MPI
// What a rank of `gat-train --partitions` holds: its part (dist/), and the distributed steps.
struct Distributed {
  dist::Comm comm;
  dist::TrafficCounter traffic;
  dist::PartitionMeta meta;
  dist::RankData rank;
  dist::DistributedSteps* steps = nullptr;  // made by make_steps (through the maker below), owned by run()
  // make_steps' maker of this run's steps over the ranks.
  RankStepsMaker maker(GAT& model, const TrainConfig& config) {
    return [this, &model, &config] {
      auto s = std::make_unique<dist::DistributedSteps>(comm, model, rank, config, traffic);
      steps = s.get();
      return std::unique_ptr<Steps>(std::move(s));
    };
  }
  bool leader() const { return comm.rank() == 0; }
};

// The rank's part of --partitions for the model `m` (filled or checked as load_data does); a
// resumed run checks the partitions are of its graph. Normalised as gat-train --data does.
std::unique_ptr<Distributed> load_partition_data(const Options& o, GATConfig& m, const Configuration& c,
                                                 std::string& summary) {
  auto d = std::make_unique<Distributed>();
  d->meta = dist::read_partition_meta(o.partitions);
  const dist::PartitionMeta& meta = d->meta;
  if (meta.parts != d->comm.size())
    throw UsageError("--partitions " + o.partitions + " has " + std::to_string(meta.parts) + " parts, the job " +
                     std::to_string(d->comm.size()) + " ranks: run mpirun -np " + std::to_string(meta.parts));
  const bool synthetic = meta.source.data.empty();
  if (!o.resume.empty() && (meta.source.data != c.resume.data || (synthetic && !(meta.source.synthetic == c.resume.synthetic))))
    throw UsageError("--partitions " + o.partitions + " cut " + (synthetic ? std::string("a synthetic graph") : meta.source.data) +
                     ", not the graph of the run in " + o.resume);
  // One --seed seeds the model and the synthetic graph, in one process as here.
  if (synthetic && meta.source.synthetic.seed != o.seed && o.resume.empty())
    throw UsageError("--partitions " + o.partitions + " cut the synthetic graph of seed " +
                     std::to_string(meta.source.synthetic.seed) + ": train with --seed " +
                     std::to_string(meta.source.synthetic.seed));
  if (c.saved_config.empty()) {
    m.in_features = meta.num_features;
    m.num_classes = meta.num_classes;
    m.edge_dim = meta.edge_dim;
  } else if (m.in_features != meta.num_features || m.num_classes != meta.num_classes) {
    throw DataError(c.saved_config + ": the model expects " + std::to_string(m.in_features) + " features and " +
                    std::to_string(m.num_classes) + " classes, the partitions have " + std::to_string(meta.num_features) +
                    " and " + std::to_string(meta.num_classes));
  } else if (m.edge_dim != meta.edge_dim) {
    throw DataError(c.saved_config + ": the model expects " + std::to_string(m.edge_dim) +
                    " edge features, the partitions have " + std::to_string(meta.edge_dim));
  }
  if (meta.edge_dim == 0 && o.config.has("--edge-fill"))
    throw UsageError("--edge-fill needs edge features (the partitions have none)");
  const bool normalize = !meta.source.data.empty() && m.normalize_features;  // the synthetic graph is never normalised
  d->rank = dist::make_rank_data(d->comm, dist::load_partition(o.partitions, d->comm.rank()), normalize, d->traffic);
  summary = (meta.source.data.empty() ? std::string("the synthetic graph") : meta.source.data) + " (" +
            std::to_string(meta.num_nodes) + " nodes, " + std::to_string(meta.num_edges) + " edges, " +
            std::to_string(meta.num_features) + " features, " + std::to_string(meta.num_classes) + " classes" +
            (meta.edge_dim > 0 ? ", " + std::to_string(meta.edge_dim) + " edge features" : std::string()) + ") in " +
            std::to_string(meta.parts) + " parts on " + std::to_string(meta.parts) + " MPI ranks";
  return d;
}

// Per rank (printed by rank 0): its part, peak memory, CPU per training step (the rank's
// process, every thread), and what its training steps sent and needed from the others, per step.
void report_ranks(const Distributed& d, const TrainResult& result, bool print) {
  const dist::TrafficCounter& t = d.steps->step_traffic();
  const double steps = static_cast<double>(std::max<int64_t>(d.steps->steps_run(), 1));
  dist::Writer w;
  const double cpu_ms = result.steps_run > 0 ? 1000 * result.step_cpu_seconds / static_cast<double>(result.steps_run) : 0.0;
  const double mine[] = {app::peak_rss_mb(), t.adjacency / steps, t.features / steps, t.gradients / steps,
                         d.steps->step_missing_bytes() / steps, cpu_ms};
  w.put_span<double>(mine);
  int64_t ignored = 0;
  const auto all = d.comm.all_gather(w.bytes, ignored);
  if (!d.leader() || !print) return;
  const int32_t cut_parts = d.meta.parts;
  std::printf("partitions: edge_cut=%lld steps=%lld\n", static_cast<long long>(d.meta.edge_cut),
              static_cast<long long>(d.steps->steps_run()));
  for (int32_t k = 0; k < cut_parts; ++k) {
    dist::Reader r(all[static_cast<size_t>(k)]);
    double v[6];
    r.get_into(v, 6);
    std::printf("rank %d: nodes=%lld halo=%lld peak_rss_mb=%.1f sent_bytes_per_step=%.0f (adjacency %.0f, features %.0f, "
                "gradients %.0f) missing_bytes_per_step=%.0f step_cpu_ms=%.1f\n", k,
                static_cast<long long>(d.meta.part_nodes[k]), static_cast<long long>(d.meta.part_halo[k]), v[0],
                v[1] + v[2] + v[3], v[1], v[2], v[3], v[4], v[5]);
  }
}
#else
struct Distributed {
  bool leader() const { return true; }
};
#endif

// ---- signals: SIGINT / SIGTERM finish the current epoch, then the run saves its state ----

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  g_signal.store(sig);
  g_stop.store(true);
  std::signal(sig, SIG_DFL);  // a second signal ends the program at once
}

// Installs the handlers; returns the flag the training loop checks after each epoch.
const std::atomic<bool>* stop_on_signals() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return &g_stop;
}

// The run was stopped by a signal: with --save, the best model and the run's state are saved
// for --resume. Returns the exit status, 128 + the signal.
int save_interrupted(const Options& o, const Preset& p, const nn::Module& model, const nn::Optimizer& optimizer,
                     const TrainState& state) {
  const int sig = g_signal.load();
  if (o.save.empty()) {
    std::fprintf(stderr, "gat-train: interrupted by signal %d after epoch %lld; nothing saved (no --save)\n", sig,
                 static_cast<long long>(state.epoch));
  } else {
    app::save_interrupted_run(o.save, resume_point(o, p, state, o.data, synthetic_graph(o)), model, optimizer);  // one process
    std::fprintf(stderr, "gat-train: interrupted by signal %d after epoch %lld; state saved to %s/resume "
                 "(continue with --resume %s)\n", sig, static_cast<long long>(state.epoch), o.save.c_str(),
                 o.save.c_str());
  }
  return 128 + sig;
}

// A loss became NaN or infinite. The model is back at the best parameters before it: with
// --save, they are the checkpoint (replacing the directory, as a finished run does); without a
// good epoch (diverged at once), whatever DIR held is left as it was. Returns the exit status.
int report_divergence(const TrainingDiverged& e, const Options& o, const Preset& p, const nn::Module& model) {
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

// Live progress on a terminal (in mini-batch mode, the steps of the epoch too), a plain line
// every `every` epochs otherwise.
class Progress {
 public:
  /// The scores' short names: of the training steps and of the validation ("acc", "f1", "auc").
  Progress(bool quiet, int64_t every, int64_t max_epochs, bool live, const char* train_score, const char* val_score)
      : quiet_(quiet), tty_(live && ::isatty(STDOUT_FILENO)), every_(every), max_(max_epochs),
        train_score_(train_score), val_score_(val_score) {}
  void step(int64_t epoch, int64_t step, int64_t steps) {
    if (quiet_ || !tty_) return;
    const int width = 24, done = static_cast<int>(width * step / std::max<int64_t>(steps, 1));
    std::printf("\r[%-*s] epoch %4lld/%lld  batch %lld/%lld ", width, std::string(static_cast<size_t>(done), '=').c_str(),
                static_cast<long long>(epoch), static_cast<long long>(max_), static_cast<long long>(step),
                static_cast<long long>(steps));
    std::fflush(stdout);
    dirty_ = true;
  }
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
      std::printf("epoch %lld train_loss=%.4f train_%s=%.4f val_loss=%.4f val_%s=%.4f epoch_ms=%.3f\n",
                  static_cast<long long>(s.epoch), s.train_loss, train_score_, s.train_accuracy, s.val_loss, val_score_,
                  s.val_accuracy, s.step_ms);
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
  const char* train_score_;  // "acc" or "f1"
  const char* val_score_;    // "acc", "f1" or "auc"
  bool dirty_ = false;
};

// Every output path and option combination, before any data is read or any epoch runs.
void check_arguments(Options& o) {
  if (!o.resume.empty() && o.save.empty()) o.save = o.resume;  // an interrupted resumed run stays resumable
  if (!o.metrics_json.empty()) app::check_writable_file("--metrics-json", o.metrics_json);
  if (!o.predict_out.empty()) app::check_writable_file("--predict-out", o.predict_out);
  if (!o.attention_out.empty()) app::check_writable_file("--attention-out", o.attention_out);
  if (!o.plot.empty()) app::check_writable_file("--plot", o.plot);
  if (!o.save.empty() && o.task == "graph") app::check_writable_folds("--save", o.save);  // (a checkpoint per fold)
  else if (!o.save.empty()) app::check_writable_dir("--save", o.save);
  if (o.explain < 0 && (!o.explain_out.empty() || !o.explain_data.empty()))
    throw UsageError("--explain-out and --explain-data need --explain NODE");
  if (o.explain >= 0) {
    if (o.explain_out.empty()) throw UsageError("--explain " + std::to_string(o.explain) + " needs --explain-out FILE.svg");
    if (o.explain_data.empty()) o.explain_data = std::filesystem::path(o.explain_out).replace_extension(".json").string();
    if (o.explain_data == o.explain_out)
      throw UsageError("--explain-out " + o.explain_out + ": the data would overwrite the picture; give --explain-data FILE.json");
    app::check_writable_file("--explain-out", o.explain_out);
    app::check_writable_file("--explain-data", o.explain_data);
    if (!o.load.empty()) o.eval_only = true;  // a saved model is explained as it is, without training
  }
  if (o.eval_only && o.load.empty()) throw UsageError("--eval-only needs --load DIR");
  if (!o.resume.empty() && (o.eval_only || !o.load.empty())) throw UsageError("--resume cannot be combined with --load or --eval-only");
  if (o.checkpoint_every > 0 && o.save.empty()) throw UsageError("--checkpoint-every needs --save DIR");
  if (!o.partitions.empty()) {
#ifndef GATGRAD_HAVE_MPI
    throw UsageError("--partitions: this gat-train was built without MPI (apt-get install libopenmpi-dev "
                     "libmetis-dev, then build again)");
#endif
    if (!o.data.empty()) throw UsageError("--partitions reads the graph from the partitions: not with --data");
    if (!o.load.empty() || o.eval_only || !o.predict_out.empty() || !o.attention_out.empty() || o.explain >= 0)
      throw UsageError("--partitions trains: not with --load, --eval-only, --predict-out, --attention-out or --explain");
  }
}

// --explain NODE: the picture and the data of its attention (apps/lib/explain.hpp).
void write_explanation(const Options& o, const Preset& p, const NodeData& data, const Tensor& logits,
                       const std::vector<AttentionOut>& attention) {
  app::ExplainOptions eo;
  eo.node = o.explain;
  eo.reduce = app::parse_attention_reduce(o.explain_reduce);
  eo.title = p.model.model + " on " + (o.data.empty() ? std::string("the synthetic graph") : o.data);
  const app::Explanation e = app::explain_node(attention, eo);
  const app::NodeClasses classes = app::node_classes(data, logits);
  app::write_text(o.explain_out, app::explanation_svg(e, classes, eo));
  app::write_text(o.explain_data, app::explanation_json(e, classes));
  if (!o.quiet)
    std::printf("explain: node %lld, %lld-hop neighbourhood of %zu nodes and %zu edges: %s (α per layer and head), "
                "%s (importance: %s of α over heads, then layers)\n",
                static_cast<long long>(e.node), static_cast<long long>(e.hops), e.nodes.size(), e.edges.size(),
                o.explain_out.c_str(), o.explain_data.c_str(), app::attention_reduce_name(e.reduce));
}

// The summary lines, then the files asked for, all from the restored best model.
void write_outputs(const Options& o, const Preset& p, GAT& model, const NodeData& data, const TrainResult& result,
                   int threads) {
  std::vector<double> step_ms;
  for (const EpochStats& s : result.history) step_ms.push_back(s.step_ms);
  app::RunInfo info{threads, o.seed, app::peak_rss_mb(), app::median(step_ms), data.multilabel, nullptr, {}};
  if (!o.quiet) {
    if (!o.eval_only)
      std::printf("best_epoch=%lld epochs_run=%lld epoch_ms_median=%.3f train_seconds=%.2f peak_rss_mb=%.1f "
                  "step_cpu_ms=%.1f\n",
                  static_cast<long long>(result.best_epoch), static_cast<long long>(result.epochs_run),
                  info.epoch_ms_median, result.train_seconds, info.peak_rss_mb,
                  result.steps_run > 0 ? 1000 * result.step_cpu_seconds / static_cast<double>(result.steps_run) : 0.0);
    std::printf("val_%s=%.4f test_%s=%.4f\n", app::score_name(data.multilabel), result.val.accuracy,
                app::score_name(data.multilabel), result.test.accuracy);
  }
  if (!o.metrics_json.empty()) app::write_metrics_json(o.metrics_json, result, info);
  if (!o.save.empty()) nn::save_checkpoint(o.save, model, nullptr, p.model.to_json());
  const bool explain = o.explain >= 0;
  Tensor logits;  // [N, C], for --predict-out and --explain
  if (!o.predict_out.empty() || explain) logits = node_logits(model, data, p.train.eval_chunk);
  if (!o.predict_out.empty()) app::write_predictions(o.predict_out, logits);
  if (!o.attention_out.empty() || explain) {
    nn::EvalMode eval(model);
    std::vector<AttentionOut> attention;
    if (!data.neighbors) {
      model.forward(data.x, data.graph, data.edge_attr, &attention);
    } else {  // mini-batch data: the attention over the whole graph with its loops
      const Graph g = p.model.add_self_loops ? data.graph.add_self_loops() : data.graph;
      const Tensor attr = data.edge_attr.defined() && p.model.add_self_loops
                              ? edge_features_with_self_loops(data.graph, g, data.edge_attr, parse_edge_fill(p.model.edge_fill))
                              : data.edge_attr;
      model.forward(data.x, g, attr, &attention);
    }
    if (!o.attention_out.empty()) app::write_attention_csv(o.attention_out, attention);
    if (explain) write_explanation(o, p, data, logits, attention);
  }
  if (!o.plot.empty())
    app::write_training_plot(o.plot, result.history, p.model.model + " on " + (o.data.empty() ? "synthetic" : o.data),
                             data.multilabel);
}

// ---- link prediction (--task link) ----

// The .npy [P, 2] of node pairs --pairs names, checked against the N nodes.
NodePairs read_pairs(const std::string& path, int64_t num_nodes) {
  const NpyArray a = load_npy(path);
  if (a.shape.size() != 2 || a.shape[1] != 2)
    throw DataError(path + ": expected node pairs of shape (P, 2), got " + a.shape_str());
  const std::vector<int64_t> ids = a.to_int64();
  NodePairs pairs;
  for (size_t k = 0; k < ids.size() / 2; ++k) {
    for (const int64_t v : {ids[2 * k], ids[2 * k + 1]})
      if (v < 0 || v >= num_nodes)
        throw DataError(path + ": pair " + std::to_string(k) + " has node " + std::to_string(v) + ", out of range for " +
                        std::to_string(num_nodes) + " nodes");
    pairs.src.push_back(static_cast<int32_t>(ids[2 * k]));
    pairs.dst.push_back(static_cast<int32_t>(ids[2 * k + 1]));
  }
  return pairs;
}

// gat-train --task link: the split of the data's edges, a LinkModel trained by the one loop with
// make_steps' LinkSteps and early stopping on the validation AUC, then every metric of the
// validation and the test at the kept parameters, and the outputs asked for.
int run_link(Options& o, Configuration& c, int threads) {
  Preset& p = c.preset;
  if (!o.partitions.empty() || !o.attention_out.empty() || o.graph_set.num_graphs > 0 || !o.plot.empty() || o.explain >= 0)
    throw UsageError("--task link: not with --partitions, --attention-out, --explain, --plot or --graphs");
  if (!o.predict_out.empty() && o.pairs.empty())
    throw UsageError("--task link --predict-out needs --pairs FILE (a .npy of node pairs to score)");
  LinkConfig link;
  link.hits_k = p.train.hits_k;
  Dataset d = read_data(o, p.model);
  if (c.saved_config.empty()) {
    p.model.in_features = d.num_features;
    p.model.edge_dim = d.edge_dim;
  } else if (p.model.in_features != d.num_features || p.model.edge_dim != d.edge_dim) {
    throw DataError(c.saved_config + ": the model expects " + std::to_string(p.model.in_features) + " features and " +
                    std::to_string(p.model.edge_dim) + " edge features, the data has " + std::to_string(d.num_features) +
                    " and " + std::to_string(d.edge_dim));
  }
  p.model.num_classes = p.model.embedding_dim;
  app::validate_config(p, options_over_preset(o));  // (the model's size, now that its input is known)
  const std::string summary = (o.data.empty() ? std::string("the synthetic graph") : o.data) + " (" +
                              std::to_string(d.num_nodes) + " nodes, " + std::to_string(d.num_edges()) + " edges, " +
                              std::to_string(d.num_features) + " features" +
                              (d.edge_dim > 0 ? ", " + std::to_string(d.edge_dim) + " edge features" : std::string()) + ")";
  const LinkData data =
      prepare_link_data(d, split_links(d.src, d.dst, d.num_nodes, link.val_fraction, link.test_fraction, o.seed),
                        p.model.add_self_loops, DType::f32, graph_use(p.train), parse_edge_fill(p.model.edge_fill));
  d = Dataset{};  // the split and the graphs hold what training needs

  LinkModel model(p.model);
  nn::Adam optimizer = make_optimizer(model.parameters(), p.train);
  TrainState state;
  if (!o.load.empty()) nn::load_checkpoint(o.load, model, nullptr);
  if (!o.resume.empty()) state = app::restore_run(o.resume, c.resume, model, optimizer);
  const std::unique_ptr<LinkSteps> steps = naming_the_state(o, c, [&] { return make_steps(model, data, p.train, link.hits_k); });
  if (!o.quiet) {
    std::printf("gatgrad %s: %s link prediction (%s decoder) on %s, %d threads, %s kernels\n", version(),
                p.model.model.c_str(), p.model.decoder.c_str(), summary.c_str(), threads,
                kernels::isa_name(kernels::active_isa()));
    std::printf("%s\n", steps->describe().c_str());
  }
  TrainResult result;
  if (!o.eval_only) {
    Progress progress(o.quiet, o.log_every, p.train.max_epochs, /*live=*/true, "acc", "auc");
    TrainHooks hooks;
    hooks.on_epoch = [&](const EpochStats& s) { progress.epoch(s); };
    hooks.between_epochs = [&](const TrainState& now) {
      if (o.checkpoint_every > 0 && !o.save.empty() && now.epoch % o.checkpoint_every == 0)
        app::checkpoint_run(o.save, resume_point(o, p, now, o.data, synthetic_graph(o)), model, optimizer);
    };
    hooks.on_step = [&](int64_t epoch, int64_t step, int64_t n) { progress.step(epoch, step, n); };
    hooks.stop = stop_on_signals();
    if (!o.resume.empty() && !o.quiet)
      std::printf("resuming from %s at epoch %lld\n", o.resume.c_str(), static_cast<long long>(state.epoch));
    try {
      result = train(*steps, optimizer, state, p.train, hooks, best_score_early_stopping);
    } catch (const TrainingDiverged& e) {
      progress.finish();
      return report_divergence(e, o, p, model);
    }
    progress.finish();
    if (result.interrupted) return save_interrupted(o, p, model, optimizer, state);
  }
  const LinkEvaluation val = steps->evaluate_all(Split::val), test = steps->evaluate_all(Split::test);
  result.val = Evaluation{val.loss, val.auc};
  result.test = Evaluation{test.loss, test.auc};
  std::vector<double> step_ms;
  for (const EpochStats& s : result.history) step_ms.push_back(s.step_ms);
  const std::string hits = "test_hits@" + std::to_string(link.hits_k);
  app::RunInfo info{threads, o.seed, app::peak_rss_mb(), app::median(step_ms), false, "auc",
                    {{"test_ap", test.ap}, {hits, test.hits}, {"test_mrr", test.mrr}, {"val_ap", val.ap}}};
  if (!o.quiet) {
    if (!o.eval_only)
      std::printf("best_epoch=%lld epochs_run=%lld epoch_ms_median=%.3f train_seconds=%.2f peak_rss_mb=%.1f "
                  "step_cpu_ms=%.1f\n",
                  static_cast<long long>(result.best_epoch), static_cast<long long>(result.epochs_run),
                  info.epoch_ms_median, result.train_seconds, info.peak_rss_mb,
                  result.steps_run > 0 ? 1000 * result.step_cpu_seconds / static_cast<double>(result.steps_run) : 0.0);
    std::printf("val_auc=%.4f test_auc=%.4f test_ap=%.4f %s=%.4f test_mrr=%.4f\n", val.auc, test.auc, test.ap,
                hits.c_str(), test.hits, test.mrr);
  }
  if (!o.metrics_json.empty()) app::write_metrics_json(o.metrics_json, result, info);
  if (!o.save.empty()) nn::save_checkpoint(o.save, model, nullptr, p.model.to_json());
  if (!o.predict_out.empty()) {  // logits of the pairs over the test-time graph (training + validation edges)
    const std::vector<double> scores =
        score_pairs(model, data, LinkStage::test, read_pairs(o.pairs, data.num_nodes()), p.train.eval_chunk);
    const std::vector<float> out(scores.begin(), scores.end());
    save_npy(o.predict_out, out.data(), {static_cast<int64_t>(out.size())});
  }
  return 0;
}

// --task graph: the options that apply to it (with --resume, the interrupted run's, checked as
// configure() checks them), then apps/lib/graph_task.cpp's run. Returns the exit status: 128 + the
// signal that stopped it.
int run_graph(const Options& o, const CLI::App& cli, int threads) {
  app::check_options_apply(o.config, "graph");  // (--batch-size, --fanout, --out-heads, ... are not)
  if (!o.partitions.empty() || !o.predict_out.empty() || !o.attention_out.empty() || !o.plot.empty() || o.explain >= 0)
    throw UsageError("--task graph trains on batches of whole graphs by cross-validation: not with --partitions, "
                     "--predict-out, --attention-out, --explain or --plot");
  app::GraphTaskOptions g;
  g.data = o.data;
  if (o.graphs >= 0) g.motifs.num_graphs = o.graphs;
  g.preset = resolve_hyperparameters(o);
  app::ResumePoint saved;
  if (!o.resume.empty()) {
    const std::string fold = app::interrupted_fold(o.resume);
    if (fold.empty())
      throw DataError(o.resume + ": no interrupted fold to resume (no fold_k/resume/config.json): the run finished, "
                                 "or was stopped before it saved");
    saved = app::read_resume_point(fold);
    check_resumed_options(o, cli, saved, fold + "/resume/config.json");
    g.preset = saved.preset;
    g.data = saved.data;
    if (saved.data.empty()) g.motifs.num_graphs = saved.motif_graphs;
    g.resume = &saved;
  }
  app::validate_config(g.preset, options_over_preset(o));
  g.motifs.seed = g.preset.model.seed;
  g.folds = g.preset.train.folds;
  g.threads = threads;
  g.quiet = o.quiet;
  g.log_every = o.log_every;
  g.metrics_json = o.metrics_json;
  g.save = o.save;
  g.load = o.load;
  g.eval_only = o.eval_only;
  g.checkpoint_every = o.checkpoint_every;
  g.stop = stop_on_signals();
  const app::GraphTaskEnd end = app::run_graph_task(g);
  if (!end.interrupted) return 0;
  const int sig = g_signal.load();
  if (o.save.empty())
    std::fprintf(stderr, "gat-train: interrupted by signal %d after epoch %lld of fold %lld; nothing saved (no --save)\n",
                 sig, static_cast<long long>(end.epoch), static_cast<long long>(end.fold));
  else
    std::fprintf(stderr, "gat-train: interrupted by signal %d after epoch %lld of fold %lld; state saved to %s/fold_%lld/resume "
                 "(continue with --resume %s)\n", sig, static_cast<long long>(end.epoch), static_cast<long long>(end.fold),
                 o.save.c_str(), static_cast<long long>(end.fold), o.save.c_str());
  return 128 + sig;
}

int run(Options o, const CLI::App& cli) {
  check_arguments(o);
  if (o.task == "graph") {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(o.threads > 0 ? o.threads : tbb::info::default_concurrency()));
    return run_graph(o, cli, o.threads > 0 ? o.threads : tbb::info::default_concurrency());
  }
#ifdef GATGRAD_HAVE_MPI
  if (!o.partitions.empty()) o.partitioned_data = dist::read_partition_meta(o.partitions).source.data;
#endif
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));

  Configuration c = configure(o, cli);
  app::check_options_apply(o.config, c.preset.model.task);  // (the task may be the --load'ed model's)
  if (c.preset.model.task == "link") return run_link(o, c, threads);
  if (c.preset.model.task != "node")
    throw UsageError("the model is a " + c.preset.model.task + " classifier: give --task " + c.preset.model.task +
                     " (its checkpoints are one per fold)");
  Preset& p = c.preset;
  std::string summary;
  std::unique_ptr<Distributed> ranks;  // with --partitions
  NodeData local;
#ifdef GATGRAD_HAVE_MPI
  if (!o.partitions.empty()) ranks = load_partition_data(o, p.model, c, summary);
#endif
  if (!ranks)
    local = load_data(o, p.model, c.saved_config, graph_use(p.train), summary);
#ifdef GATGRAD_HAVE_MPI
  const NodeData& data = ranks ? ranks->rank.data : local;
#else
  const NodeData& data = local;
#endif
  app::validate_config(p, options_over_preset(o));  // (the model's size, now that its input is known)
  if (o.explain >= 0 && o.explain >= data.graph.num_dst_nodes())
    throw UsageError("--explain " + std::to_string(o.explain) + ": the graph has " +
                     std::to_string(data.graph.num_dst_nodes()) + " nodes (0.." +
                     std::to_string(data.graph.num_dst_nodes() - 1) + ")");
  // The run's data as a resumed run finds it again: the folder (or "" for the synthetic graph).
#ifdef GATGRAD_HAVE_MPI
  const std::string data_source = ranks ? ranks->meta.source.data : o.data;
  const CsbmOptions graph_options = ranks ? ranks->meta.source.synthetic : synthetic_graph(o);
#else
  const std::string data_source = o.data;
  const CsbmOptions graph_options = synthetic_graph(o);
#endif
  if (ranks && !ranks->leader()) {  // rank 0 alone prints and writes; the others' errors still reach stderr
    o.quiet = true;
    o.metrics_json.clear();
    o.plot.clear();
    o.save.clear();
  }

  GAT model(p.model);
  nn::Adam optimizer = make_optimizer(model.parameters(), p.train);
  TrainState state;
  if (!o.load.empty()) nn::load_checkpoint(o.load, model, nullptr);
  if (!o.resume.empty()) state = app::restore_run(o.resume, c.resume, model, optimizer);
  if (!o.quiet)
    std::printf("gatgrad %s: %s on %s, %d threads, %s kernels\n", version(), p.model.model.c_str(), summary.c_str(), threads,
                kernels::isa_name(kernels::active_isa()));

  TrainResult result;
  std::unique_ptr<Steps> steps;  // (the ranks' report below reads their counters)
  if (o.eval_only) {
    result.val = evaluate(model, data, data.val_rows);
    result.test = evaluate(model, data, data.test_rows);
  } else {
    if (!o.resume.empty() && !o.quiet)
      std::printf("resuming from %s at epoch %lld\n", o.resume.c_str(), static_cast<long long>(state.epoch));
    RankStepsMaker on_ranks;
#ifdef GATGRAD_HAVE_MPI
    if (ranks) on_ranks = ranks->maker(model, p.train);
#endif
    steps = naming_the_state(o, c, [&] { return make_steps(model, data, p.train, on_ranks); });
    if (!steps->describe().empty() && !o.quiet) std::printf("%s\n", steps->describe().c_str());
    Progress progress(o.quiet, o.log_every, p.train.max_epochs, /*live=*/!ranks,
                      data.multilabel ? "f1" : "acc", data.multilabel ? "f1" : "acc");  // mpirun's pty is not the user's
    TrainHooks hooks;
    hooks.on_epoch = [&](const EpochStats& s) { progress.epoch(s); };
    hooks.between_epochs = [&](const TrainState& now) {
      if (o.checkpoint_every > 0 && !o.save.empty() && now.epoch % o.checkpoint_every == 0)
        app::checkpoint_run(o.save, resume_point(o, p, now, data_source, graph_options), model, optimizer);
    };
    hooks.on_step = [&](int64_t epoch, int64_t step, int64_t steps) { progress.step(epoch, step, steps); };
    // A rank's signal would stop it alone, the others waiting for it: MPI jobs end by signal.
    if (!ranks) hooks.stop = stop_on_signals();
    try {
      result = train(*steps, optimizer, state, p.train, hooks);
    } catch (const TrainingDiverged& e) {
      progress.finish();
      return report_divergence(e, o, p, model);
    }
    progress.finish();
    if (result.interrupted) return save_interrupted(o, p, model, optimizer, state);
  }
  write_outputs(o, p, model, data, result, threads);
#ifdef GATGRAD_HAVE_MPI
  if (ranks) report_ranks(*ranks, result, !o.quiet);  // collective: every rank calls it
#endif
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const Preset defaults = make_preset(kDefaultPreset);
  CLI::App cli{"Train a graph attention network (GAT or GATv2) for node classification."};
  cli.add_option("--data", o.data, "directory of .npy files (x, y, edge_index, masks); default: synthetic graph")
      ->check(CLI::ExistingDirectory);
  cli.add_option("--preset", o.preset, std::string("the paper's hyper-parameters for a dataset (default ") + kDefaultPreset + ")")
      ->check(CLI::IsMember(preset_names()));
  app::add_config_options(cli, o.config, defaults);  // every hyper-parameter (apps/lib/config_options.cpp)
  cli.add_option("--graphs", o.graphs, "train on a synthetic PPI-like set of this many graphs (multi-label, inductive; "
                 "--preset ppi without --data uses 24) instead of the single synthetic graph")
      ->check(CLI::Range(int64_t{3}, int64_t{1} << 20));
  cli.add_option("--threads", o.threads, "oneTBB worker threads (default: all cores)")->check(CLI::Range(1, 1024));
  cli.add_option("--log-every", o.log_every, "when not on a terminal, print a line every N epochs")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cli.add_flag("--quiet", o.quiet, "print nothing but errors");
  cli.add_option("--metrics-json", o.metrics_json, "write metrics and curves to this JSON file");
  cli.add_option("--save", o.save, "save the best model as a checkpoint directory");
  cli.add_option("--load", o.load, "load a checkpoint directory before training or evaluating");
  cli.add_flag("--eval-only", o.eval_only, "evaluate the --load'ed model without training");
  cli.add_option("--resume", o.resume, "continue the run interrupted while saving to this directory (the "
                                       "hyper-parameter, data and synthetic graph options given must equal its own)")
      ->check(CLI::ExistingDirectory);
  cli.add_option("--predict-out", o.predict_out, "write the logits (N×C float32) to this .npy file (--task link: "
                                                 "the logit of each --pairs pair, P float32, over the test-time graph)");
  cli.add_option("--pairs", o.pairs, "--task link with --predict-out: a .npy of shape (P, 2), the node pairs to score")
      ->check(CLI::ExistingFile);
  cli.add_option("--attention-out", o.attention_out, "write every layer's attention to this CSV file");
  cli.add_option("--plot", o.plot, "draw loss and accuracy curves into this SVG file");
  cli.add_option("--explain", o.explain, "draw the attention around this node (its 2-hop neighbourhood, every layer "
                                         "and head) into --explain-out; with --load, the saved model without training")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 31));
  cli.add_option("--explain-out", o.explain_out, "with --explain: the picture, an SVG file");
  cli.add_option("--explain-data", o.explain_data, "with --explain: each edge's α and importance as JSON (default: "
                                                   "--explain-out with .json)");
  cli.add_option("--explain-reduce", o.explain_reduce, "with --explain: an edge's importance, the max or mean of its "
                                                       "α over heads, then layers (PyG AttentionExplainer; default max)")
      ->check(CLI::IsMember({"max", "mean"}));
  app::add_synthetic_options(cli, o.synthetic);
  cli.add_option("--partitions", o.partitions, "train on the parts of this gat-partition folder, one per MPI rank "
                                               "(mpirun -np P gat-train --partitions DIR --batch-size B)")
      ->check(CLI::ExistingDirectory);
  cli.add_option("--checkpoint-every", o.checkpoint_every, "with --save DIR: save the run every N epochs into DIR "
                                                           "(atomically), to continue with --resume DIR after a crash")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cli.set_version_flag("--version", std::string("gat-train (gatgrad) ") + version());
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? app::kExitOk : app::kExitUsage;
  }
  if (o.config.has("--task")) o.task = o.config.given.at("--task");
  // An interrupted cross-validation keeps its state in a fold's folder (apps/lib/graph_task.hpp);
  // a --task given that differs is refused against the saved one.
  if (!o.resume.empty() && !app::interrupted_fold(o.resume).empty()) o.task = "graph";
  if (o.task == "graph") {
    if (app::synthetic_options_given(cli)) {
      std::fprintf(stderr, "gat-train: --task graph sizes its synthetic set with --graphs alone\n");
      return app::kExitUsage;
    }
    return app::run_main("gat-train", [&] { return run(o, cli); });
  }
  if (const std::string problem = choose_graph_set(cli, o); !problem.empty()) {
    std::fprintf(stderr, "gat-train: %s\n", problem.c_str());
    return app::kExitUsage;
  }
  if (app::synthetic_options_given(cli) && (!o.data.empty() || !o.partitions.empty())) {
    std::fprintf(stderr, "gat-train: --nodes, --edges, --features, --classes, --train-per-class and --edge-features "
                         "describe the synthetic graph: not with --data or --partitions\n");
    return app::kExitUsage;
  }
#ifdef GATGRAD_HAVE_MPI
  if (!o.partitions.empty()) {
    // Every rank's error is printed with its rank, then the whole job ends (no rank waits
    // forever for one that failed). mpirun names a rank that dies.
    // A rank's next step is prepared on a thread of its own (serialized), which waits in the
    // exchanges while the rank's step computes: waiting ranks yield their core instead of spinning
    // (Open MPI's default busy-polling took 3 to 4 times the step time on -np 2 of 2 cores).
    // A user's own setting wins.
    ::setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    int threads = MPI_THREAD_SINGLE;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &threads);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const std::string program = "gat-train: rank " + std::to_string(rank);
    const int code = app::run_main(program.c_str(), [&] { return run(o, cli); });
    std::fflush(stdout);
    if (code != app::kExitOk) MPI_Abort(MPI_COMM_WORLD, code);
    MPI_Finalize();
    return code;
  }
#endif
  return app::run_main("gat-train", [&] { return run(o, cli); });
}
