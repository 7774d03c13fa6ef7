#include "models/presets.hpp"

namespace gatgrad {

std::vector<std::string> preset_names() { return {"cora", "citeseer", "pubmed"}; }

Preset make_preset(const std::string& name) {
  Preset p;
  p.name = name;
  // cora / citeseer: 8 heads × 8 hidden features, ELU, 1 output head, dropout 0.6 on both
  // layers' inputs and on α, Adam lr 0.005, L2 5e-4, patience 100.
  p.model.hidden = 8;
  p.model.heads = 8;
  p.model.out_heads = 1;
  p.model.dropout = 0.6;
  p.model.attn_dropout = 0.6;
  p.train = TrainConfig{1000, 100, 0.005, 5e-4};
  if (name == "cora" || name == "citeseer") return p;
  if (name == "pubmed") {  // 8 output heads (averaged), lr 0.01, L2 0.001
    p.model.out_heads = 8;
    p.train.lr = 0.01;
    p.train.weight_decay = 0.001;
    return p;
  }
  std::string names;
  for (const std::string& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw UsageError("unknown preset '" + name + "' (choose one of: " + names + ")");
}

}  // namespace gatgrad
