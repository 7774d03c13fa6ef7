// Link-prediction metrics (nn/link_metrics.hpp). Each sorts once, O((P + M) log(P + M)).
#include "nn/link_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

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

// neg sorted in increasing order; for score s: #{neg < s} and #{neg == s}.
struct Below {
  int64_t less, equal;
};
Below count_below(const std::vector<double>& sorted_neg, double s) {
  const auto lo = std::lower_bound(sorted_neg.begin(), sorted_neg.end(), s);
  const auto hi = std::upper_bound(lo, sorted_neg.end(), s);
  return {lo - sorted_neg.begin(), hi - lo};
}

}  // namespace

// AUC = (1 / (P M)) Σ_pos (#{neg < pos} + #{neg == pos} / 2)
double roc_auc(const std::vector<double>& pos, const std::vector<double>& neg) {
  check_scores("roc_auc", pos, neg);
  std::vector<double> sorted_neg = neg;
  std::sort(sorted_neg.begin(), sorted_neg.end());
  double wins = 0;  // a sum of halves of integers: exact in a double up to 2^52
  for (const double s : pos) {
    const Below b = count_below(sorted_neg, s);
    wins += static_cast<double>(b.less) + 0.5 * static_cast<double>(b.equal);
  }
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
  int64_t hits = 0;
  for (const double s : pos) hits += s > kth;
  return static_cast<double>(hits) / static_cast<double>(pos.size());
}

// OGB: rank = 1 + (#{neg > pos} + #{neg >= pos}) / 2;  MRR = mean(1 / rank)
double mrr(const std::vector<double>& pos, const std::vector<double>& neg) {
  check_scores("mrr", pos, neg);
  std::vector<double> sorted_neg = neg;
  std::sort(sorted_neg.begin(), sorted_neg.end());
  const auto M = static_cast<double>(neg.size());
  double total = 0;
  for (const double s : pos) {
    const Below b = count_below(sorted_neg, s);
    const double above = M - static_cast<double>(b.less) - static_cast<double>(b.equal);
    total += 1.0 / (1.0 + above + 0.5 * static_cast<double>(b.equal));
  }
  return total / static_cast<double>(pos.size());
}

}  // namespace gatgrad::nn
