// gat-train's resume state: DIR/resume/config.json written and read, and the two checkpoints
// of an interrupted run. See train_resume.hpp.
#include "apps/lib/train_resume.hpp"

#include <filesystem>
#include <memory>

#include "io/json.hpp"
#include "models/graph_classifier.hpp"
#include "nn/checkpoint.hpp"
#include "train/link_model.hpp"

namespace gatgrad::app {

namespace {

std::string resume_dir(const std::string& dir) { return dir + "/resume"; }

std::string to_json(const ResumePoint& r) {
  Json j;
  j["model"] = Json::parse(r.preset.model.to_json());
  j["train"] = Json::parse(r.preset.train.to_json());
  j["data"] = r.data;
  j["seed"] = r.seed;
  j["state"] = Json::parse(r.state.to_json());
  const bool folds = r.preset.model.task == "graph";
  if (r.data.empty() && !folds) j["synthetic"] = Json::parse(csbm_options_to_json(r.synthetic));
  if (r.data.empty() && r.graph_set.num_graphs > 0) j["graph_set"] = Json::parse(graph_set_options_to_json(r.graph_set));
  if (r.data.empty() && folds) j["motif_graphs"] = r.motif_graphs;
  if (folds) {
    Json done = Json::array();
    for (const TrainResult& f : r.folds_done) done.push_back(Json::parse(f.to_json()));
    j["folds_done"] = done;
  }
  return j.dump(2);
}

// A model of the run's task, built from its configuration (its parameters to be loaded).
std::unique_ptr<nn::Module> fresh_model(const GATConfig& config) {
  if (config.task == "link") return std::make_unique<LinkModel>(config);
  if (config.task == "graph") return std::make_unique<GraphClassifier>(config);
  return std::make_unique<GAT>(config);
}

}  // namespace

ResumePoint read_resume_point(const std::string& dir) {
  const std::string source = resume_dir(dir) + "/config.json";
  const Json j = parse_json(nn::read_checkpoint_config(resume_dir(dir)), source);
  ResumePoint r;
  try {
    r.preset.model = GATConfig::from_json(j.at("model").dump(), source);
    r.preset.train = TrainConfig::from_json(j.at("train").dump(), source);
    r.data = j.at("data").get<std::string>();
    r.seed = j.at("seed").get<uint64_t>();
    r.state = TrainState::from_json(j.at("state").dump(), source);
    try {  // the settings must fit the model (one fanout entry per layer)
      r.preset.train.validate_for(r.preset.model);
    } catch (const UsageError& e) {
      throw DataError(source + ": " + e.what());
    }
    if (r.data.empty() && j.contains("synthetic")) r.synthetic = csbm_options_from_json(j.at("synthetic").dump(), source);
    r.synthetic.seed = r.seed;
    if (r.data.empty() && j.contains("graph_set"))
      r.graph_set = graph_set_options_from_json(j.at("graph_set").dump(), source);
    if (r.preset.model.task == "graph") {
      if (r.data.empty()) r.motif_graphs = json_field<int64_t>(j, "motif_graphs", source);
      if (!j.contains("folds_done") || !j.at("folds_done").is_array())
        throw DataError(source + ": field 'folds_done' is not an array");
      for (const Json& f : j.at("folds_done")) r.folds_done.push_back(TrainResult::from_json(f.dump(), source));
      if (static_cast<int64_t>(r.folds_done.size()) >= r.preset.train.folds)
        throw DataError(source + ": " + std::to_string(r.folds_done.size()) + " folds done of " +
                        std::to_string(r.preset.train.folds) + ": no fold left to resume");
    }
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(source + ": not a gat-train resume state: " + e.what());
  }
  return r;
}

TrainState restore_run(const std::string& dir, const ResumePoint& point, nn::Module& model, nn::Optimizer& optimizer) {
  nn::remove_stale_staging(dir);  // what runs killed while saving into DIR left beside it
  nn::load_checkpoint(resume_dir(dir), model, &optimizer);
  TrainState state = point.state;
  const std::unique_ptr<nn::Module> best = fresh_model(point.preset.model);  // the kept parameters: DIR's checkpoint
  nn::load_checkpoint(dir, *best, nullptr);
  for (const Tensor& t : best->parameters()) state.kept.push_back(t.clone());
  return state;
}

void save_interrupted_run(const std::string& dir, const ResumePoint& point, const nn::Module& model,
                          const nn::Optimizer& optimizer) {
  const std::unique_ptr<nn::Module> best = fresh_model(point.preset.model);
  if (!point.state.kept.empty()) restore_parameters(*best, point.state.kept);
  nn::save_checkpoint(dir, point.state.kept.empty() ? model : *best, nullptr, point.preset.model.to_json());
  nn::save_checkpoint(resume_dir(dir), model, &optimizer, to_json(point));
}

void checkpoint_run(const std::string& dir, const ResumePoint& point, const nn::Module& model,
                    const nn::Optimizer& optimizer) {
  nn::remove_stale_staging(dir);  // the staged runs of processes killed before they swapped theirs in
  const std::string staged = nn::staging_path(dir, "next");
  std::error_code ec;
  std::filesystem::remove_all(staged, ec);
  try {
    save_interrupted_run(staged, point, model, optimizer);
    nn::detail::replace_directory(staged, dir);  // DIR is the old run or the new one, never half of each
  } catch (...) {
    std::filesystem::remove_all(staged, ec);
    throw;
  }
}

}  // namespace gatgrad::app
