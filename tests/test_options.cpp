// gat-train's and gat-bench's hyper-parameter options, declared once (apps/lib/config_options.cpp):
// the test walks that table. Every option is in --help and reaches its configuration field; every
// value out of its field's range (models/presets.cpp, the range validate() checks) is a usage
// error naming the option, in the library's parsing and as gat-train's exit 2; --resume accepts
// the saved run's values and refuses others naming both.
// To add a case: add the option's row to config_options(); this test covers it without an edit
// (give the row's field a range in ranges() and the out-of-range walk covers that too).
#define BOOST_TEST_MODULE options
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "apps/lib/config_options.hpp"
#include "io/json.hpp"
#include "models/presets.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;

namespace {

// What gat-train does with `args`: parse, apply to the default preset, validate. Throws
// UsageError as gat-train would report it (exit 2), or CLI::ParseError.
Preset parse(std::vector<std::string> args) {
  CLI::App cli;
  app::ConfigArgs given;
  const Preset defaults = make_preset(kDefaultPreset);
  app::add_config_options(cli, given, defaults);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  cli.parse(args);
  Preset p = defaults;
  app::apply_config_options(given, p);
  app::fit_fanout_to_layers(given, p);  // as gat-train does
  app::validate_config(p, &given);
  return p;
}

// A value of the field other than the default's, in its range, as text.
std::string other_value(const app::ConfigOption& row, const Preset& defaults) {
  const std::string now = field_text(defaults, row.field);
  if (const std::vector<std::string>* c = field_choices(row.field)) return c->front() == now ? c->back() : c->front();
  if (std::string(row.field) == "edge_fill") return "0.5";
  if (std::string(row.field) == "fanout") return "7,7";
  if (std::string(row.field) == "micro_batches") return "2";  // (with --batch-size, below)
  const FieldRange* r = field_range(row.field);
  if (!r) return now == "0" ? "7" : "0";  // the seed
  if (r->integer) return std::to_string(static_cast<int64_t>(r->lo) + (now == std::to_string(static_cast<int64_t>(r->lo)) ? 1 : 0));
  return now == "0.25" ? "0.5" : "0.25";
}

// x as a command line would give it ("-0.5", "1.5").
std::string text(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

// Values just outside the field's range (for a floating field ending at float32's largest value,
// 1e39: beyond float32), or not among its choices.
std::vector<std::string> out_of_range(const std::string& field) {
  std::vector<std::string> v;
  if (field_choices(field)) return {"bogus"};
  const FieldRange* range = field_range(field);
  if (!range) return v;
  const FieldRange& r = *range;
  v.push_back(r.integer ? std::to_string(static_cast<int64_t>(r.lo) - 1) : text(r.lo - 0.5));
  if (!r.integer && r.hi > 1e38) v.push_back(text(1e39));
  else if (!std::isinf(r.hi))
    v.push_back(r.integer ? std::to_string(static_cast<int64_t>(r.hi) + 1) : text(r.hi_open ? r.hi : r.hi + 0.5));
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_option_is_in_the_help_of_gat_train) {
  const Run r = run_program("gat-train", {"--help"}, 30);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  for (const app::ConfigOption& row : app::config_options()) {
    BOOST_TEST(r.out.find(std::string(row.name) + " ") != std::string::npos, row.name << " is not in gat-train --help");
    if (const FieldRange* range = field_range(row.field))
      BOOST_TEST(r.out.find(range->text()) != std::string::npos, row.name << "'s range " << range->text() << " is not shown");
  }
}

BOOST_AUTO_TEST_CASE(every_option_reaches_its_field) {
  const Preset defaults = make_preset(kDefaultPreset);
  for (const app::ConfigOption& row : app::config_options()) {
    std::vector<std::string> args{row.name};
    std::string want = row.kind == app::ConfigOption::flag ? "true" : "false";
    if (row.kind == app::ConfigOption::value) {
      want = other_value(row, defaults);
      args.push_back(want);
    }
    if (std::string(row.field) == "fanout" || std::string(row.field) == "micro_batches")
      args.insert(args.end(), {"--batch-size", "64"});
    if (std::string(row.field) == "fanout") args.insert(args.end(), {"--layers", "2"});
    BOOST_TEST_CONTEXT(row.name << " " << want) {
      BOOST_TEST(field_text(defaults, row.field) != want);  // (else the check below proves nothing)
      Preset p;
      BOOST_REQUIRE_NO_THROW(p = parse(args));
      BOOST_TEST(field_text(p, row.field) == want);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_value_out_of_range_is_a_usage_error_naming_the_option) {
  int walked = 0;
  for (const app::ConfigOption& row : app::config_options()) {
    for (const std::string& bad : out_of_range(row.field)) {
      std::vector<std::string> args{row.name, bad};
      if (std::string(row.field) == "fanout" || std::string(row.field) == "micro_batches")
        args.insert(args.end(), {"--batch-size", "1073741824"});
      BOOST_TEST_CONTEXT(row.name << " " << bad) {
        BOOST_CHECK_EXCEPTION(parse(args), UsageError, message_has({row.name, bad}));
        ++walked;
      }
    }
  }
  BOOST_TEST(walked >= 30);
}

// The same as gat-train's exit status: one value below each range (the program checks before
// reading any data, so each run ends at once).
BOOST_AUTO_TEST_CASE(gat_train_exits_2_naming_the_option) {
  for (const app::ConfigOption& row : app::config_options()) {
    const std::vector<std::string> values = out_of_range(row.field);
    if (values.empty()) continue;
    const std::string bad = values.back();  // (the upper end: 1e39 for a floating field)
    const Run r = run_program("gat-train", {row.name, bad, "--quiet"}, 30);
    BOOST_TEST(r.code == 2, row.name << " " << bad << ": exit " << r.code << ", " << r.err);
    BOOST_TEST(r.err.find(row.name) != std::string::npos, row.name << " " << bad << ": " << r.err);
  }
}

// Each option applies to the tasks of its row: given for another task, a usage error naming the
// option and both; gat-train's help says which tasks, and it exits 2.
BOOST_AUTO_TEST_CASE(options_of_another_task_are_refused_naming_it) {
  int refused = 0;
  for (const app::ConfigOption& row : app::config_options()) {
    app::ConfigArgs given;
    given.given[row.name] = "";
    for (const std::string task : {"node", "link", "graph"}) {
      BOOST_TEST_CONTEXT(row.name << " with --task " << task) {
        if (app::applies_to(row, task)) {
          BOOST_CHECK_NO_THROW(app::check_options_apply(given, task));
        } else {
          BOOST_CHECK_EXCEPTION(app::check_options_apply(given, task), UsageError,
                                message_has({row.name, "not --task " + task}));
          ++refused;
        }
      }
    }
  }
  BOOST_TEST(refused >= 10);
  const Run help = run_program("gat-train", {"--help"}, 30);
  for (const char* words : {"--task link: score pairs", "--task graph: how a graph's nodes pool", "--task node or link: heads"})
    BOOST_TEST(help.out.find(words) != std::string::npos, "\"" << words << "\" not in gat-train --help");
  const std::vector<std::vector<std::string>> runs = {
      {"--decoder", "mlp", "--quiet"}, {"--task", "graph", "--out-heads", "2", "--quiet"}, {"--readout", "sum", "--quiet"}};
  for (const auto& args : runs) {
    const Run r = run_program("gat-train", args, 30);
    BOOST_TEST(r.code == 2, args[0] << ": exit " << r.code << " " << r.err);
    BOOST_TEST(r.err.find(" is for --task ") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_CASE(rules_between_options_name_them) {
  BOOST_CHECK_EXCEPTION(parse({"--fanout", "5,5"}), UsageError, message_has({"--fanout", "batch_size"}));
  BOOST_CHECK_EXCEPTION(parse({"--micro-batches", "2"}), UsageError, message_has({"--micro-batches", "batch_size"}));
  BOOST_CHECK_EXCEPTION(parse({"--batch-size", "4", "--micro-batches", "5"}), UsageError, message_has({"--micro-batches", "4"}));
  BOOST_CHECK_EXCEPTION(parse({"--batch-size", "4", "--graphs-per-batch", "2"}), UsageError,
                        message_has({"--graphs-per-batch", "exclude each other"}));
  BOOST_CHECK_EXCEPTION(parse({"--layers", "3", "--batch-size", "8", "--fanout", "5,5"}), UsageError,
                        message_has({"--fanout", "one entry per layer", "3-layer"}));
  BOOST_CHECK_NO_THROW(parse({"--layers", "3", "--batch-size", "8", "--fanout", "5,5,5"}));
  // A rule broken with the preset's value of an option not given says so.
  BOOST_CHECK_EXCEPTION(parse({"--batch-size", "4", "--micro-batches", "8"}), UsageError,
                        message_has({"--micro-batches, --batch-size: "}));
  BOOST_CHECK_EXCEPTION(parse({"--micro-batches", "2"}), UsageError,
                        message_has({"--micro-batches, --batch-size (not given: the preset's 0): "}));
  BOOST_CHECK_EXCEPTION(parse({"--epochs", "ten"}), UsageError, message_has({"--epochs", "'ten' is not an integer"}));
  BOOST_CHECK_EXCEPTION(parse({"--lr", "nan"}), UsageError, message_has({"--lr", "not a finite number"}));
  BOOST_CHECK_EXCEPTION(parse({"--seed", "-1"}), UsageError, message_has({"--seed", "-1"}));
}

// The library's configuration and the command line agree: a value the option refuses, the
// configuration's validate() refuses too, naming the field.
BOOST_AUTO_TEST_CASE(the_library_refuses_what_the_command_line_refuses) {
  GATConfig m;
  m.in_features = m.num_classes = 4;
  m.hidden = 65537;
  BOOST_CHECK_EXCEPTION(m.validate(), ConfigError, [](const ConfigError& e) { return e.field == "hidden"; });
  BOOST_CHECK_EXCEPTION(parse({"--hidden", "65537"}), UsageError, message_has({"--hidden", "65537"}));
  TrainConfig t;
  t.weight_decay = 1.5;
  BOOST_CHECK_EXCEPTION(t.validate(), ConfigError, [](const ConfigError& e) { return e.field == "weight_decay"; });
}

// A float option's value beyond float32 (the type it ends up in) is out of its range, as is the
// edge fill's constant: a usage error naming the option, not a NaN in training. (#27, item 3)
BOOST_AUTO_TEST_CASE(floats_beyond_float32_are_out_of_range) {
  for (const char* option : {"--lr", "--edge-fill"})
    BOOST_CHECK_EXCEPTION(parse({option, "1e39"}), UsageError, message_has({option, "1e", "39", "float32"}));
  BOOST_CHECK_EXCEPTION(parse({"--lr", "-1e39"}), UsageError, message_has({"--lr"}));
  BOOST_CHECK_NO_THROW(parse({"--lr", "3e38"}));
  // Fields without an option, as a configuration file gives them: the same ranges.
  GATConfig m = small_gat_config();
  m.negative_slope = 1e39;
  BOOST_CHECK_EXCEPTION(m.validate(), ConfigError,
                        [](const ConfigError& e) { return e.field == "negative_slope" && message_has(e, "float32"); });
  for (const char* field : {"eps", "lr", "weight_decay", "beta1"}) {
    Json j = Json::parse(TrainConfig{}.to_json());
    j[field] = 1e39;
    BOOST_CHECK_EXCEPTION(TrainConfig::from_json(j.dump(), "run/resume/config.json"), DataError,
                          message_has({"run/resume/config.json", field, "1e+39"}));
  }
}

// Sizes read from a checkpoint's config.json are the command line's ranges, checked before
// anything is allocated, and a model within every range but too large as a whole is refused by
// its parameter count (kMaxParameters). (#27, item 1)
BOOST_AUTO_TEST_CASE(sizes_from_a_config_file_are_checked_before_allocation) {
  const std::string src = "ckpt/config.json";
  for (const char* field : {"hidden", "heads", "out_heads", "layers", "in_features", "num_classes", "mlp_hidden"}) {
    Json j = Json::parse(small_gat_config().to_json());
    j[field] = 1000000000;
    BOOST_CHECK_EXCEPTION(GATConfig::from_json(j.dump(), src), DataError, message_has({src, field, "1000000000"}));
  }
  GATConfig wide = small_gat_config();
  wide.hidden = 65536;
  wide.heads = 1024;  // each within its range; the second hidden layer would hold 2^52 weights
  wide.layers = 3;
  BOOST_CHECK_EXCEPTION(wide.validate(), ConfigError, [](const ConfigError& e) {
    return e.field == "hidden" && e.other == "heads" && message_has(e, "parameters");
  });
  BOOST_CHECK_EXCEPTION(GATConfig::from_json(wide.to_json(), src), DataError, message_has({src, "parameters", "2^28"}));
  BOOST_TEST(make_preset("ppi").model.parameter_bound() < 1e7);  // (ppi's in_features 0: its first layer's W aside)
  GATConfig ppi = make_preset("ppi").model;
  ppi.in_features = 50;
  ppi.num_classes = 121;
  BOOST_CHECK_NO_THROW(ppi.validate());
}

// gat-train: the same model too large for its parameters is a usage error naming the options,
// before a weight is allocated; a checkpoint whose config.json says hidden 1e9 is refused naming
// the file and the field.
BOOST_AUTO_TEST_CASE(gat_train_refuses_huge_models_naming_the_file_or_option) {
  TempDir dir;
  TinyDataset{}.write(dir / "data");
  const Run wide = run_program("gat-train", {"--data", dir / "data", "--layers", "3", "--hidden", "65536", "--heads", "1024", "--quiet"}, 60);
  BOOST_TEST(wide.code == 2, wide.err);
  for (const char* word : {"--hidden, --heads", "parameters"})
    BOOST_TEST(wide.err.find(word) != std::string::npos, "\"" << word << "\" not in " << wide.err);
  BOOST_TEST_REQUIRE(run_program("gat-train", {"--data", dir / "data", "--epochs", "1", "--quiet", "--save", dir / "ckpt"}, 60).code == 0);
  const std::string saved = read_file(dir / "ckpt/config.json");
  for (const char* field : {"hidden", "heads", "layers"}) {
    Json c = Json::parse(saved);
    c[field] = 1000000000;
    write_file(dir / "ckpt/config.json", c.dump());
    const Run r = run_program("gat-train", {"--data", dir / "data", "--load", dir / "ckpt", "--eval-only"}, 60);
    BOOST_TEST(r.code == 1, field << ": " << r.err);
    for (const std::string& word : {dir / "ckpt/config.json", std::string(field), std::string("1000000000")})
      BOOST_TEST(r.err.find(word) != std::string::npos, field << ": \"" << word << "\" not in " << r.err);
  }
}
