/// @file
/// Metrics of link prediction: how well scores rank the positive pairs above the negative ones.
/// Inputs are plain scores (logits or probabilities: every metric here depends only on their
/// order) of the positive pairs `pos` [P] and of the negative pairs `neg` [M].
///
///   roc_auc:  the probability that a random positive scores above a random negative, a tie
///             counting one half (the Mann-Whitney U statistic / (P M)); equal to the area under
///             the ROC curve with ties as scikit-learn's roc_auc_score draws them (one diagonal
///             step per group of tied scores).
///   average_precision: scikit-learn's average_precision_score, without interpolation:
///             AP = Σ_n (R_n - R_{n-1}) P_n over the distinct score thresholds in decreasing order,
///             P_n and R_n the precision and recall of "score >= threshold n" (tied scores enter
///             together).
///   hits_at_k: OGB's Evaluator (ogbl-collab, ogbl-ddi, ogbl-ppa): the fraction of positives
///             scoring strictly above the K-th highest negative score; 1 when there are fewer
///             than K negatives.
///   mrr:      OGB's Evaluator (ogbl-citation2): each positive ranked among its negatives,
///             rank = 1 + #{neg > pos} + #{neg == pos} / 2 (OGB's mean of the optimistic and
///             pessimistic ranks), MRR = the mean of 1 / rank. Here every positive is ranked
///             against the same list `neg` (all the negatives of its split).
/// Each throws Error for an empty pos or neg, or a score that is NaN.
#pragma once
#include <cstdint>
#include <vector>

namespace gatgrad::nn {

double roc_auc(const std::vector<double>& pos, const std::vector<double>& neg);
double average_precision(const std::vector<double>& pos, const std::vector<double>& neg);
double hits_at_k(const std::vector<double>& pos, const std::vector<double>& neg, int64_t k);
double mrr(const std::vector<double>& pos, const std::vector<double>& neg);

}  // namespace gatgrad::nn
