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
  try {
    const Json j = Json::parse(text);
    s.epoch = j.at("epoch").get<int64_t>();
    s.best_accuracy = j.at("best_accuracy").get<double>();
    s.best_loss = j.at("best_loss").is_null() ? INFINITY : j.at("best_loss").get<double>();
    s.waited = j.at("waited").get<int64_t>();
    s.best_epoch = j.at("best_epoch").get<int64_t>();
    for (const auto& row : j.at("history")) {
      EpochStats e;
      e.epoch = row.at(0).get<int64_t>();
      e.train_loss = row.at(1).get<double>();
      e.train_accuracy = row.at(2).get<double>();
      e.val_loss = row.at(3).get<double>();
      e.val_accuracy = row.at(4).get<double>();
      e.step_ms = row.at(5).get<double>();
      s.history.push_back(e);
    }
  } catch (const std::exception& e) {
    throw DataError(source + ": not a valid training state: " + e.what());
  }
  if (s.epoch < 0 || static_cast<int64_t>(s.history.size()) != s.epoch)
    throw DataError(source + ": the training state's epoch count and history disagree");
  return s;
}

}  // namespace gatgrad
