// TrainState and TrainResult to and from JSON (the "state" of gat-train's resume file, and the
// results of a cross-validation's finished folds).
#include "train/train_state.hpp"

#include "autograd/error.hpp"
#include "io/json.hpp"
#include "train/loop.hpp"

namespace gatgrad {

namespace {

// [[epoch, train_loss, train_accuracy, val_loss, val_accuracy, step_ms], ...]
Json history_to_json(const std::vector<EpochStats>& history) {
  Json h = Json::array();
  for (const EpochStats& s : history)
    h.push_back({s.epoch, s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy, s.step_ms});
  return h;
}

// The field 'history' of `j`; DataError naming `where` and the row at fault.
std::vector<EpochStats> history_from_json(const Json& j, const std::string& where) {
  if (!j.contains("history") || !j.at("history").is_array()) throw DataError(where + ": field 'history' is not an array");
  std::vector<EpochStats> history;
  for (size_t r = 0; r < j.at("history").size(); ++r) {
    const Json& row = j.at("history")[r];
    const std::string at = where + ": history[" + std::to_string(r) + "]";
    if (!row.is_array() || row.size() != 6) throw DataError(at + " is not [epoch, train_loss, train_accuracy, val_loss, val_accuracy, step_ms]");
    EpochStats e;
    e.epoch = json_get<int64_t>(row[0], at + "[0]");
    e.train_loss = json_get<double>(row[1], at + "[1]");
    e.train_accuracy = json_get<double>(row[2], at + "[2]");
    e.val_loss = json_get<double>(row[3], at + "[3]");
    e.val_accuracy = json_get<double>(row[4], at + "[4]");
    e.step_ms = json_get<double>(row[5], at + "[5]");
    history.push_back(e);
  }
  return history;
}

}  // namespace

std::string TrainState::to_json() const {
  Json j;
  j["epoch"] = epoch;
  j["best_accuracy"] = best_accuracy;
  j["best_loss"] = std::isfinite(best_loss) ? Json(best_loss) : Json(nullptr);
  j["waited"] = waited;
  j["best_epoch"] = best_epoch;
  j["history"] = history_to_json(history);
  return j.dump();
}

TrainState TrainState::from_json(const std::string& text, const std::string& source) {
  TrainState s;
  // Each value checked against its type (io/json.hpp): no 1e300 cast into an int64.
  const Json j = parse_json(text, source);
  const std::string where = source + ": the training state";
  s.epoch = json_field<int64_t>(j, "epoch", where);
  s.best_accuracy = json_field<double>(j, "best_accuracy", where);
  s.best_loss = j.contains("best_loss") && j.at("best_loss").is_null() ? INFINITY : json_field<double>(j, "best_loss", where);
  s.waited = json_field<int64_t>(j, "waited", where);
  s.best_epoch = json_field<int64_t>(j, "best_epoch", where);
  s.history = history_from_json(j, where);
  if (s.epoch < 0 || static_cast<int64_t>(s.history.size()) != s.epoch)
    throw DataError(source + ": the training state's epoch count and history disagree");
  return s;
}

std::string TrainResult::to_json() const {
  Json j;
  j["best_epoch"] = best_epoch;
  j["epochs_run"] = epochs_run;
  j["val"] = {val.loss, val.accuracy};  // [loss, score]
  j["test"] = {test.loss, test.accuracy};
  j["history"] = history_to_json(history);
  j["train_seconds"] = train_seconds;
  j["stopped_early"] = stopped_early;
  return j.dump();
}

TrainResult TrainResult::from_json(const std::string& text, const std::string& source) {
  const Json j = parse_json(text, source);
  const std::string where = source + ": a fold's result";
  TrainResult r;
  r.best_epoch = json_field<int64_t>(j, "best_epoch", where);
  r.epochs_run = json_field<int64_t>(j, "epochs_run", where);
  for (auto [name, e] : {std::pair{"val", &r.val}, std::pair{"test", &r.test}}) {
    if (!j.contains(name) || !j.at(name).is_array() || j.at(name).size() != 2)
      throw DataError(where + ": field '" + std::string(name) + "' is not [loss, score]");
    e->loss = json_get<double>(j.at(name)[0], where + ": " + name + "[0]");
    e->accuracy = json_get<double>(j.at(name)[1], where + ": " + name + "[1]");
  }
  r.history = history_from_json(j, where);
  r.train_seconds = json_field<double>(j, "train_seconds", where);
  r.stopped_early = json_field<bool>(j, "stopped_early", where);
  if (r.epochs_run < 0 || static_cast<int64_t>(r.history.size()) != r.epochs_run)
    throw DataError(where + ": its epoch count and history disagree");
  return r;
}

}  // namespace gatgrad
