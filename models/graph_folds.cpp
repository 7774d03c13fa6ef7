#include "models/graph_folds.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/error.hpp"
#include "autograd/random.hpp"

namespace gatgrad {

std::vector<GraphFold> stratified_folds(const std::vector<int64_t>& labels, int64_t num_classes, int64_t k,
                                        uint64_t seed, double val_fraction) {
  const auto n = static_cast<int64_t>(labels.size());
  if (k < 2) throw UsageError("folds: need at least 2, got " + std::to_string(k));
  if (k > n) throw UsageError("folds: " + std::to_string(k) + " folds of " + std::to_string(n) + " graphs");
  if (!(val_fraction >= 0 && val_fraction < 1)) throw UsageError("folds: the validation fraction must be in [0, 1)");
  const uint64_t key = derive_key(seed, 0x6f6c64);  // the folds' own stream
  std::vector<std::vector<int32_t>> order(static_cast<size_t>(num_classes));
  for (int64_t g = 0; g < n; ++g) {
    if (labels[static_cast<size_t>(g)] < 0 || labels[static_cast<size_t>(g)] >= num_classes)
      throw Error("folds: class " + std::to_string(labels[static_cast<size_t>(g)]) + " of graph " + std::to_string(g) +
                  " is not in [0, " + std::to_string(num_classes) + ")");
    order[static_cast<size_t>(labels[static_cast<size_t>(g)])].push_back(static_cast<int32_t>(g));
  }
  for (auto& o : order)
    std::sort(o.begin(), o.end(), [key](int32_t a, int32_t b) {
      const uint64_t ha = hash64(key, static_cast<uint64_t>(a)), hb = hash64(key, static_cast<uint64_t>(b));
      return ha != hb ? ha < hb : a < b;
    });
  std::vector<int64_t> fold_of(static_cast<size_t>(n));
  int64_t start = 0;
  for (const auto& o : order) {
    for (size_t p = 0; p < o.size(); ++p) fold_of[static_cast<size_t>(o[p])] = (start + static_cast<int64_t>(p)) % k;
    start += static_cast<int64_t>(o.size());
  }
  std::vector<GraphFold> folds(static_cast<size_t>(k));
  for (int64_t f = 0; f < k; ++f) {
    GraphFold& fold = folds[static_cast<size_t>(f)];
    std::vector<uint8_t> is_val(static_cast<size_t>(n), 0);
    for (const auto& o : order) {
      std::vector<int32_t> rest;  // this class's training part, in the shuffled order
      for (int32_t g : o)
        if (fold_of[static_cast<size_t>(g)] != f) rest.push_back(g);
      const auto n_val = static_cast<size_t>(std::llround(val_fraction * static_cast<double>(rest.size())));
      for (size_t p = 0; p < n_val; ++p) is_val[static_cast<size_t>(rest[p])] = 1;
    }
    for (int32_t g = 0; g < n; ++g) {
      if (fold_of[static_cast<size_t>(g)] == f) fold.test.push_back(g);
      else if (is_val[static_cast<size_t>(g)]) fold.val.push_back(g);
      else fold.train.push_back(g);
    }
  }
  return folds;
}

}  // namespace gatgrad
