// Link-prediction metrics (nn/link_metrics.hpp). Each sorts once, O((P + M) log(P + M)); AUC and
// MRR are written in xtensor, as their formulas over the ranks of the positives among the negatives.
#include "nn/link_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include <xtensor/xadapt.hpp>
#include <xtensor/xset_operation.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/error.hpp"

namespace gatgrad::nn {

namespace {

void check_scores(const char* metric, const std::vector<double>& pos, const std::vector<double>& neg) {
  if (pos.empty() || neg.empty())
    throw Error(std::string(metric) + ": needs positive and negative scores, got " + std::to_string(pos.size()) +
                " positives and " + std::to_string(neg.size()) + " negatives");
  for (const auto* scores : {&pos, &neg})
    for (const double s : *scores)
      if (std::isnan(s)) throw Error(std::string(metric) + ": a score is NaN");
}

// For each positive score s: #{neg < s} and #{neg <= s}, by binary search in the sorted negatives.
struct Ranks {
  xt::xtensor<size_t, 1> less, at_most;  // [P]
};
Ranks ranks_among_negatives(const std::vector<double>& pos, const std::vector<double>& neg) {
  xt::xtensor<double, 1> sorted_neg = xt::adapt(neg);
  std::sort(sorted_neg.begin(), sorted_neg.end());
  const auto p = xt::adapt(pos);
  // xtensor 0.24's searchsorted names its sides the other way round from NumPy's:
  // right = true is std::lower_bound (the first element >= s), right = false std::upper_bound.
  return {xt::searchsorted(sorted_neg, p, /*right=*/true), xt::searchsorted(sorted_neg, p, /*right=*/false)};
}

}  // namespace

// AUC = (1 / (P M)) Σ_pos (#{neg < pos} + #{neg == pos} / 2): a sum of halves of integers, exact
// in a double up to 2^52, so the summation order does not matter.
double roc_auc(const std::vector<double>& pos, const std::vector<double>& neg) {
  check_scores("roc_auc", pos, neg);
  const Ranks r = ranks_among_negatives(pos, neg);
  const auto less = xt::cast<double>(r.less);
  const auto equal = xt::cast<double>(r.at_most - r.less);
  const double wins = xt::sum(less + 0.5 * equal)();
  return wins / (static_cast<double>(pos.size()) * static_cast<double>(neg.size()));
}

// Walk the thresholds from the highest score down; at each distinct threshold n (all the tied
// scores counted at once): tp_n, fp_n positives and negatives with score >= it,
//   P_n = tp_n / (tp_n + fp_n),  R_n = tp_n / P,  AP += (R_n - R_{n-1}) P_n.
double average_precision(const std::vector<double>& pos, const std::vector<double>& neg) {
  check_scores("average_precision", pos, neg);
  std::vector<std::pair<double, bool>> scored;  // (score, is positive)
  scored.reserve(pos.size() + neg.size());
  for (const double s : pos) scored.emplace_back(s, true);
  for (const double s : neg) scored.emplace_back(s, false);
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const double P = static_cast<double>(pos.size());
  double ap = 0, tp = 0, fp = 0, last_recall = 0;
  for (size_t k = 0; k < scored.size();) {
    const double threshold = scored[k].first;
    for (; k < scored.size() && scored[k].first == threshold; ++k) (scored[k].second ? tp : fp) += 1;
    const double recall = tp / P;
    ap += (recall - last_recall) * (tp / (tp + fp));
    last_recall = recall;
  }
  return ap;
}

// OGB: kth = the K-th largest negative; hits = mean(pos > kth); 1 with fewer than K negatives.
double hits_at_k(const std::vector<double>& pos, const std::vector<double>& neg, int64_t k) {
  check_scores("hits_at_k", pos, neg);
  if (k < 1) throw Error("hits_at_k: K must be at least 1, got " + std::to_string(k));
  if (static_cast<int64_t>(neg.size()) < k) return 1.0;
  std::vector<double> sorted_neg = neg;
  std::nth_element(sorted_neg.begin(), sorted_neg.begin() + (k - 1), sorted_neg.end(), std::greater<double>());
  const double kth = sorted_neg[static_cast<size_t>(k - 1)];
  const int64_t hits = xt::sum<int64_t>(xt::adapt(pos) > kth)();
  return static_cast<double>(hits) / static_cast<double>(pos.size());
}

// OGB: rank = 1 + (#{neg > pos} + #{neg >= pos}) / 2 = 1 + #{neg > pos} + #{neg == pos} / 2;
// MRR = mean(1 / rank)
double mrr(const std::vector<double>& pos, const std::vector<double>& neg) {
  check_scores("mrr", pos, neg);
  const Ranks r = ranks_among_negatives(pos, neg);
  const auto M = static_cast<double>(neg.size());
  const auto greater = M - xt::cast<double>(r.at_most);
  const auto equal = xt::cast<double>(r.at_most - r.less);
  const auto rank = 1.0 + greater + 0.5 * equal;
  return xt::mean(1.0 / rank)();
}

}  // namespace gatgrad::nn
