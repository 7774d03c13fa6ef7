// The files gat-train writes after training: metrics JSON, logits .npy, attention CSV, SVG plot
// (and, through write_text, the explanation of apps/lib/explain.hpp). Each is written whole or
// not at all (io/file.hpp's AtomicFile): a failed write (a full disk) leaves the old file as it
// was and no temporary behind; DataError naming the path.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "train/trainer.hpp"

namespace gatgrad::app {

struct RunInfo {
  int threads = 0;
  uint64_t seed = 0;
  double peak_rss_mb = 0;
  double epoch_ms_median = 0;
  bool multilabel = false;  // the score is micro-F1: "micro_f1" in the names where "accuracy" is
  const char* score = nullptr;  // another task's score name ("auc" for link prediction), else score_name(multilabel)
  std::vector<std::pair<std::string, double>> extra;  // more figures after the scores ("test_ap", ...)
};

// The score's name: "micro_f1" for multi-label data, "accuracy" otherwise.
inline const char* score_name(bool multilabel) { return multilabel ? "micro_f1" : "accuracy"; }

// Writes `text` to `path` whole or not at all (io/file.hpp's write_file_atomically: a temporary
// beside it, then rename; /dev/stdout or a pipe is written in place).
void write_text(const std::string& path, const std::string& text);

// {test_accuracy, val_accuracy, best_epoch, epochs_run, epoch_ms_median, train_seconds,
//  peak_rss_mb, threads, seed, train_loss: [...], val_loss: [...], val_accuracy_curve: [...]},
// with test_micro_f1, val_micro_f1 and val_micro_f1_curve for multi-label data (test_auc, ...
// with RunInfo::score "auc"), and RunInfo::extra's figures after the two scores.
void write_metrics_json(const std::string& path, const TrainResult& r, const RunInfo& info);
// logits [N, C] as float32 .npy.
void write_predictions(const std::string& path, const Tensor& logits);
// "layer,head,source,target,alpha", one row per layer, head and edge (self-loops included).
void write_attention_csv(const std::string& path, const std::vector<AttentionOut>& layers);
// Loss and accuracy against epochs, train and validation, as a self-contained SVG.
void write_training_plot(const std::string& path, const std::vector<EpochStats>& history, const std::string& title,
                         bool multilabel = false);

}  // namespace gatgrad::app
