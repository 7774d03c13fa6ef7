/// @file
/// The paper's hyper-parameters as presets (Veličković et al. 2018, section 3.3, and the
/// authors' execute_cora.py): `cora` and `citeseer` share one setting, `pubmed` has its own.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/gat.hpp"

namespace gatgrad {

struct TrainConfig {
  int64_t max_epochs = 1000;
  int64_t patience = 100;      ///< stop after this many epochs without improvement
  double lr = 0.005;           ///< Adam
  double weight_decay = 5e-4;  ///< L2, added to the gradient (PyTorch's Adam(weight_decay=...))
};

struct Preset {
  std::string name;
  GATConfig model;  ///< in_features / num_classes are filled from the data
  TrainConfig train;
};

/// "cora", "citeseer" or "pubmed"; throws UsageError listing the names otherwise.
Preset make_preset(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace gatgrad
