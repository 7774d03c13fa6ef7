// The files gat-train writes after training, each through io/file.hpp's AtomicFile (save_npy
// for the logits). See train_outputs.hpp.
#include "apps/lib/train_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/file.hpp"
#include "io/npy.hpp"

namespace gatgrad::app {

// Every output is written whole or not at all (io/file.hpp's AtomicFile, as --save's files are):
// on a full disk the old file stays as it was and no temporary is left.
void write_text(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

void write_metrics_json(const std::string& path, const TrainResult& r, const RunInfo& info) {
  nlohmann::ordered_json j;
  const std::string score = info.score ? info.score : score_name(info.multilabel);
  j["test_" + score] = r.test.accuracy;
  j["val_" + score] = r.val.accuracy;
  for (const auto& [name, value] : info.extra) j[name] = value;
  j["best_epoch"] = r.best_epoch;
  j["epochs_run"] = r.epochs_run;
  j["epoch_ms_median"] = info.epoch_ms_median;
  j["train_seconds"] = r.train_seconds;
  j["peak_rss_mb"] = info.peak_rss_mb;
  j["threads"] = info.threads;
  j["seed"] = info.seed;
  std::vector<double> train_loss, val_loss, val_acc;
  for (const EpochStats& s : r.history) {
    train_loss.push_back(s.train_loss);
    val_loss.push_back(s.val_loss);
    val_acc.push_back(s.val_accuracy);
  }
  j["train_loss"] = train_loss;  // nlohmann prints doubles with full round-trip precision
  j["val_loss"] = val_loss;
  j["val_" + score + "_curve"] = val_acc;
  write_text(path, j.dump(2) + "\n");
}

void write_predictions(const std::string& path, const Tensor& logits) {
  Tensor f = logits.dtype() == DType::f32 ? logits : logits.to(DType::f32);
  save_npy(path, f.data<float>(), {f.size(0), f.size(1)});
}

void write_attention_csv(const std::string& path, const std::vector<AttentionOut>& layers) {
  std::ostringstream s;
  s << "layer,head,source,target,alpha\n";
  char buf[64];
  for (size_t l = 0; l < layers.size(); ++l) {
    const Tensor alpha = layers[l].alpha.to(DType::f64);
    const Graph& g = layers[l].graph;
    const int64_t heads = alpha.size(1);
    const double* a = alpha.data<double>();
    const auto src = g.src(), dst = g.dst();
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t e = 0; e < g.num_edges(); ++e) {
        std::snprintf(buf, sizeof buf, "%.9g", a[e * heads + h]);
        s << (l + 1) << ',' << h << ',' << src[static_cast<size_t>(e)] << ',' << dst[static_cast<size_t>(e)] << ','
          << buf << '\n';
      }
  }
  write_text(path, s.str());
}

namespace {

// One panel of the plot: curves against epochs inside the rectangle (x0, y0, w, h).
struct Series {
  std::string name, color;
  std::vector<double> y;
};

std::string panel(double x0, double y0, double w, double h, const std::string& label, const std::vector<Series>& series) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  size_t n = 0;
  for (const Series& s : series)
    for (double v : s.y)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        n = std::max(n, s.y.size());
      }
  if (!(hi > lo)) {
    lo = std::isfinite(lo) ? lo - 0.5 : 0;
    hi = lo + 1;
  }
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(2);
  o << "<rect x='" << x0 << "' y='" << y0 << "' width='" << w << "' height='" << h
    << "' fill='none' stroke='#999'/>\n";
  o << "<text x='" << x0 << "' y='" << y0 - 8 << "' font-size='14'>" << label << "</text>\n";
  for (int t = 0; t <= 4; ++t) {  // y ticks
    const double v = lo + (hi - lo) * t / 4, y = y0 + h - h * t / 4;
    o << "<text x='" << x0 - 6 << "' y='" << y + 4 << "' font-size='11' text-anchor='end'>" << v << "</text>\n";
  }
  o << "<text x='" << x0 + w / 2 << "' y='" << y0 + h + 28 << "' font-size='12' text-anchor='middle'>epoch (1.."
    << n << ")</text>\n";
  int row = 0;
  for (const Series& s : series) {
    o << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.5' points='";
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      const double x = x0 + (n > 1 ? w * static_cast<double>(i) / static_cast<double>(n - 1) : w / 2);
      const double y = y0 + h - h * (s.y[i] - lo) / (hi - lo);
      o << x << ',' << y << ' ';
    }
    o << "'/>\n";
    o << "<text x='" << x0 + w - 8 << "' y='" << y0 + 18 + 16 * row++ << "' font-size='12' text-anchor='end' fill='"
      << s.color << "'>" << s.name << "</text>\n";
  }
  return o.str();
}

}  // namespace

void write_training_plot(const std::string& path, const std::vector<EpochStats>& history, const std::string& title,
                         bool multilabel) {
  Series tl{"train", "#1f77b4", {}}, vl{"validation", "#d62728", {}};
  Series ta{"train", "#1f77b4", {}}, va{"validation", "#d62728", {}};
  for (const EpochStats& s : history) {
    tl.y.push_back(s.train_loss);
    vl.y.push_back(s.val_loss);
    ta.y.push_back(s.train_accuracy);
    va.y.push_back(s.val_accuracy);
  }
  std::string safe_title;
  for (char c : title) safe_title += (c == '<' || c == '>' || c == '&') ? '_' : c;
  std::ostringstream o;
  o << "<?xml version='1.0' encoding='UTF-8'?>\n"
    << "<svg xmlns='http://www.w3.org/2000/svg' width='960' height='400' viewBox='0 0 960 400' "
       "font-family='sans-serif'>\n"
    << "<rect width='960' height='400' fill='white'/>\n"
    << "<text x='480' y='24' font-size='16' text-anchor='middle'>" << safe_title << "</text>\n"
    << panel(70, 60, 380, 280, "loss", {tl, vl}) << panel(550, 60, 380, 280, multilabel ? "micro-F1" : "accuracy", {ta, va}) << "</svg>\n";
  write_text(path, o.str());
}

}  // namespace gatgrad::app
