// The options of gat-train and gat-bench that set a hyper-parameter, declared once: one row each,
// binding the option to its configuration field (GATConfig or TrainConfig, by its config.json
// name) and its help text. The default shown is the preset's, and the range shown and checked is
// the configuration's own (field_range, validate()): the library and the command lines agree.
//
// To add such an option: give the field to GATConfig or TrainConfig (models/presets.hpp: the
// member, its line in gat_fields or train_fields, its range in ranges(), a rule between fields
// in validate()), then add its row to config_options() in config_options.cpp (with the tasks it
// applies to, unless every task). Parsing, the help text, range errors naming the option, the
// refusal for another task, and --resume's comparison follow from the row.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "models/presets.hpp"

namespace gatgrad::app {

struct ConfigOption {
  const char* name;   // "--hidden"
  const char* field;  // "hidden": the configuration field it sets (config.json's name)
  const char* help;   // what it means; the default and the range are appended from the configuration
  // value: takes a value; flag: sets the field to true; clear_flag: sets it to false (--no-normalize)
  enum Kind { value, flag, clear_flag } kind = value;
  bool show_default = true;  // false when the help says it (fanout: one entry per layer)
  // The --task values the option applies to ("node link": not graph classification); the help
  // says so and check_options_apply refuses it for another task.
  const char* tasks = kEveryTask;
  static constexpr const char* kEveryTask = "node link graph";
};

// Every row, in --help order.
const std::vector<ConfigOption>& config_options();

// The option of `field` ("" when no option sets it).
std::string option_of_field(const std::string& field);

// The options a command line gave, as given (option name -> text), in the order of the rows.
struct ConfigArgs {
  std::map<std::string, std::string> given;
  bool has(const std::string& option) const { return given.count(option) > 0; }
};

// Adds the rows named in `names` (every row when empty) to `cli`, with the help of `defaults`;
// their values are recorded in `args`.
void add_config_options(CLI::App& cli, ConfigArgs& args, const Preset& defaults, const std::vector<std::string>& names = {});

// Sets the field of every given option in `p`; UsageError naming the option whose text is not of
// its field's type. Ranges are validate_config's.
void apply_config_options(const ConfigArgs& args, Preset& p);

// Whether the option applies to `task` (node, link or graph): its row's tasks.
bool applies_to(const ConfigOption& row, const std::string& task);

// UsageError naming the first given option that does not apply to `task` and the tasks it does
// ("--decoder is for --task link, not --task node").
void check_options_apply(const ConfigArgs& args, const std::string& task);

// One fanout entry per layer: unless --fanout was given, the preset's last entry repeated (or
// dropped) to p.model.layers entries, as PyG's examples repeat theirs for a deeper model.
void fit_fanout_to_layers(const ConfigArgs& args, Preset& p);

// p.model.validate_hyperparameters() and p.train.validate_for(p.model): an error names the option
// of the field at fault ("--dropout: model configuration: dropout must be in [0, 1), got 1"), and
// for a rule between two the other's too ("--fanout, --batch-size: ..."). With `given` (the options
// of a new run's command line), an option not among them is marked as the preset's value.
void validate_config(const Preset& p, const ConfigArgs* given = nullptr);

// --resume: every given option must equal the saved run's value (`saved`, read from `source`):
// UsageError naming the option and both values otherwise.
void check_same_as_saved(const ConfigArgs& args, const Preset& saved, const std::string& source);

}  // namespace gatgrad::app
