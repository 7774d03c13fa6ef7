/// @file
/// Stratified K-fold cross-validation over graphs, the protocol of graph classification
/// benchmarks (Errica et al. 2020; PyG's examples with sklearn's StratifiedKFold): every graph is
/// in exactly one test fold, each fold holding every class in proportion; of the K - 1 other
/// folds, a stratified `val_fraction` is held out for early stopping (validation), the rest trains.
///   order_c   = the graphs of class c sorted by hash64(key(seed), graph)        (a fixed shuffle)
///   fold      = graph at position p of order_c goes to fold (start_c + p) mod K, start_c the
///               number of graphs of the classes before c, so the folds' sizes differ by one at most
///   val of f  = per class c, the first round(val_fraction · n_{c,train}) of order_c outside fold f
/// The same folds for a seed on every machine; a different seed, different folds.
#pragma once
#include <cstdint>
#include <vector>

namespace gatgrad {

struct GraphFold {
  std::vector<int32_t> train, val, test;  ///< graph ids, ascending
};

/// The K folds of `labels` (graph g's class, in [0, num_classes)). UsageError for k < 2, k more
/// than the graphs, or val_fraction outside [0, 1).
std::vector<GraphFold> stratified_folds(const std::vector<int64_t>& labels, int64_t num_classes, int64_t k,
                                        uint64_t seed, double val_fraction = 0.1);

}  // namespace gatgrad
