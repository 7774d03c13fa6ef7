// TrainState to and from JSON (the "state" of gat-train's resume file).
#include "train/train_state.hpp"

#include "autograd/error.hpp"
#include "io/json.hpp"

namespace gatgrad {

std::string TrainState::to_json() const {
  Json j;
  j["epoch"] = epoch;
  j["best_accuracy"] = best_accuracy;
  j["best_loss"] = std::isfinite(best_loss) ? Json(best_loss) : Json(nullptr);
  j["waited"] = waited;
  j["best_epoch"] = best_epoch;
  Json h = Json::array();
  for (const EpochStats& s : history)
    h.push_back({s.epoch, s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy, s.step_ms});
  j["history"] = h;  // [epoch, train_loss, train_accuracy, val_loss, val_accuracy, step_ms]
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
  if (!j.contains("history") || !j.at("history").is_array()) throw DataError(where + ": field 'history' is not an array");
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
    s.history.push_back(e);
  }
  if (s.epoch < 0 || static_cast<int64_t>(s.history.size()) != s.epoch)
    throw DataError(source + ": the training state's epoch count and history disagree");
  return s;
}

}  // namespace gatgrad
