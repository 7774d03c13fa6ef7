// The hyper-parameter options, one row each (see config_options.hpp).
#include "apps/lib/config_options.hpp"

#include <algorithm>
#include <string_view>

namespace gatgrad::app {

const std::vector<ConfigOption>& config_options() {
  using K = ConfigOption::Kind;
  static const std::vector<ConfigOption> rows = {
      {"--task", "task", "node: classify nodes; link: predict links (the link preset, PyG's examples/link_pred.py "
                         "with GAT; train/link_model.hpp); graph: classify whole graphs (a TU Dortmund folder, "
                         "graph_y.npy or the synthetic motif set; the tu preset, cross-validated; "
                         "apps/lib/graph_task.hpp)"},
      {"--model", "model", "the attention: gat or gatv2"},
      {"--epochs", "max_epochs", "maximum number of epochs (200 on the synthetic graph unless --preset is given)"},
      {"--patience", "patience", "epochs without improvement before stopping"},
      {"--lr", "lr", "Adam learning rate"},
      {"--weight-decay", "weight_decay", "L2 penalty added to the gradient"},
      {"--layers", "layers", "attention layers: the hidden ones concatenate their heads, the last averages them"},
      {"--residual", "residual", "add a learned skip connection to every layer (PyG's residual=True)", K::flag},
      {"--hidden", "hidden", "features per head in each hidden layer"},
      {"--heads", "heads", "heads in each hidden layer"},
      {"--out-heads", "out_heads", "heads in the output layer (averaged)", K::value, true, "node link"},
      {"--dropout", "dropout", "dropout on each layer's input"},
      {"--attn-dropout", "attn_dropout", "dropout on attention coefficients"},
      {"--batch-size", "batch_size", "train in mini-batches of this many seed nodes (--task link: pairs), sampling "
                                     "their neighbourhoods (0: full batch)", K::value, true, "node link"},
      {"--fanout", "fanout", "mini-batch: neighbours sampled per node, one value per layer (comma-separated), the "
                             "seeds' layer first, -1 for all (default: 10 per layer)", K::value, false, "node link"},
      {"--micro-batches", "micro_batches", "mini-batch: parts of each batch, each differentiated whole, the gradients "
                                           "summed in order", K::value, true, "node"},
      {"--node-order", "node_order", "full batch: 'rcm' trains on the nodes renumbered so that neighbours are near "
                                     "(reverse Cuthill-McKee, DGL's reorder_graph 'rcmk'): faster on several cores "
                                     "whose caches are far apart, other bits than 'input', the data's own numbers",
       K::value, true, "node"},
      {"--graphs-per-batch", "graphs_per_batch", "data of many graphs (graph_index.npy, --graphs, --task graph): train "
                                                 "on shuffled batches of this many whole training graphs (0: one full "
                                                 "batch)", K::value, true, "node graph"},
      {"--edge-fill", "edge_fill", "with edge features (edge_attr.npy): the self-loops' features, 'mean' of each "
                                   "node's incoming edges or a number (a float32)"},
      {"--no-normalize", "normalize_features", "do not row-normalise features read from files", K::clear_flag, true,
       "node link"},
      {"--decoder", "decoder", "score pairs by dot product or an MLP on h_u * h_v", K::value, true, "link"},
      {"--hits-k", "hits_k", "the K of the reported test Hits@K", K::value, true, "link"},
      {"--readout", "readout", "how a graph's nodes pool into its row", K::value, true, "graph"},
      {"--mlp-hidden", "mlp_hidden", "width of the MLP after the readout (graph), of the MLP decoder (link)", K::value,
       true, "link graph"},
      {"--folds", "folds", "stratified K-fold cross-validation, 10% of each training part held out for early "
                           "stopping", K::value, true, "graph"},
      {"--seed", "seed", "seed of initial weights, dropout and the synthetic graph"},
  };
  return rows;
}

namespace {

// The row's tasks as words ({"node", "link"}).
std::vector<std::string> tasks_of(const ConfigOption& row) {
  std::vector<std::string> t;
  std::string_view s = row.tasks;
  while (!s.empty()) {
    const size_t space = s.find(' ');
    t.emplace_back(s.substr(0, space));
    s = space == std::string_view::npos ? std::string_view() : s.substr(space + 1);
  }
  return t;
}

// "--task link", "--task node or link"
std::string tasks_text(const ConfigOption& row) {
  std::string t = "--task ";
  const std::vector<std::string> tasks = tasks_of(row);
  for (size_t i = 0; i < tasks.size(); ++i) t.append(i == 0 ? "" : i + 1 == tasks.size() ? " or " : ", ").append(tasks[i]);
  return t;
}

}  // namespace

bool applies_to(const ConfigOption& row, const std::string& task) {
  const std::vector<std::string> tasks = tasks_of(row);
  return std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}

void check_options_apply(const ConfigArgs& args, const std::string& task) {
  for (const ConfigOption& row : config_options())
    if (args.has(row.name) && !applies_to(row, task))
      throw UsageError(std::string(row.name) + " is for " + tasks_text(row) + ", not --task " + task);
}

std::string option_of_field(const std::string& field) {
  for (const ConfigOption& row : config_options())
    if (field == row.field) return row.name;
  return "";
}

void add_config_options(CLI::App& cli, ConfigArgs& args, const Preset& defaults, const std::vector<std::string>& names) {
  auto added = [&](const std::string& name) { return names.empty() || std::find(names.begin(), names.end(), name) != names.end(); };
  const bool has_task = added("--task");  // (gat-bench train has one task: no prefix)
  for (const ConfigOption& row : config_options()) {
    const std::string name = row.name;
    if (!added(name)) continue;
    std::string help = row.help;
    if (has_task && std::string_view(row.tasks) != ConfigOption::kEveryTask) help = tasks_text(row) + ": " + help;
    if (row.kind != ConfigOption::value) {
      cli.add_flag_callback(name, [&args, name] { args.given[name] = ""; }, help);
      continue;
    }
    std::string extra;
    if (row.show_default) extra = "default " + field_text(defaults, row.field);
    if (const FieldRange* r = field_range(row.field)) extra += (extra.empty() ? "" : "; ") + std::string("in ") + r->text();
    if (const std::vector<std::string>* c = field_choices(row.field)) {
      std::string list;
      for (const std::string& x : *c) list.append(list.empty() ? "" : "|").append(x);
      extra += (extra.empty() ? "" : "; ") + list;
    }
    if (!extra.empty()) help += " (" + extra + ")";
    cli.add_option_function<std::string>(name, [&args, name](const std::string& v) { args.given[name] = v; }, help)
        ->allow_extra_args(false);
  }
}

namespace {

// The field's new value as the option says: its text, or true / false for a flag.
std::string value_of(const ConfigOption& row, const std::string& given) {
  if (row.kind == ConfigOption::flag) return "true";
  if (row.kind == ConfigOption::clear_flag) return "false";
  return given;
}

}  // namespace

void apply_config_options(const ConfigArgs& args, Preset& p) {
  for (const ConfigOption& row : config_options()) {
    const auto it = args.given.find(row.name);
    if (it == args.given.end()) continue;
    try {
      set_field(p, row.field, value_of(row, it->second));
    } catch (const UsageError& e) {
      throw UsageError(std::string(row.name) + ": " + e.what());
    }
  }
}

void fit_fanout_to_layers(const ConfigArgs& args, Preset& p) {
  std::vector<int64_t>& fanout = p.train.fanout;
  if (!args.has("--fanout")) fanout.resize(static_cast<size_t>(p.model.layers), fanout.back());
}

void validate_config(const Preset& p, const ConfigArgs* given) {
  try {
    if (p.model.in_features > 0) {  // the data is known: every field, and the model's size
      p.model.validate();
    } else {
      p.model.validate_hyperparameters();
    }
    p.train.validate_for(p.model);
  } catch (const ConfigError& e) {
    // "--fanout", or "--fanout, --batch-size" for a rule; an option not given is the preset's value
    // ("--graphs-per-batch (not given: the preset's 1), --batch-size: ...").
    auto option = [&](const std::string& field) {
      std::string name = option_of_field(field);
      if (!name.empty() && given && !given->has(name)) name += " (not given: the preset's " + field_text(p, field) + ")";
      return name;
    };
    std::string options = option(e.field);
    if (options.empty()) throw;
    if (const std::string other = option(e.other); !other.empty()) options += ", " + other;
    throw UsageError(options + ": " + e.what());
  }
}

void check_same_as_saved(const ConfigArgs& args, const Preset& saved, const std::string& source) {
  for (const ConfigOption& row : config_options()) {
    const auto it = args.given.find(row.name);
    if (it == args.given.end()) continue;
    Preset asked = saved;
    try {
      set_field(asked, row.field, value_of(row, it->second));
    } catch (const UsageError& e) {
      throw UsageError(std::string(row.name) + ": " + e.what());
    }
    if (!same_field(asked, saved, row.field))
      throw UsageError(std::string(row.name) + " " + field_text(asked, row.field) + " differs from the resumed run's " +
                       field_text(saved, row.field) + " (" + source + "): --resume continues that run as it was");
  }
}

}  // namespace gatgrad::app
