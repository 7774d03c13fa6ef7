// predict: a program outside gatgrad's source tree, built against the installed package by the
// install_consumer test (tests/consumer/check-install.sh). The lines between "README: begin"
// and "README: end" are the snippet of README.md's "Using gatgrad as a library", verbatim (the
// test fails when the two differ).
//
//   predict CKPT [DATA]      the model `gat-train --save CKPT` wrote, run on DATA (a --data
//                            directory) or, without DATA, on gat-train's built-in synthetic graph
//   predict --self-test DIR  checks the package from the outside: the version, a gradient check,
//                            a small GAT trained, saved to DIR/ckpt, reloaded and run again
// Exit status: 0 on success, 1 on a failed check or an error.
// README: begin
#include <cstdio>
#include <string>

#include <gatgrad/gatgrad.hpp>

using namespace gatgrad;

// Runs the model that `gat-train --save CKPT [--data DATA]` saved on that data.
Evaluation predict(const std::string& ckpt, const std::string& data_dir) {
  // config.json: the model's configuration and the preprocessing it was trained with.
  GATConfig config = GATConfig::from_json(nn::read_checkpoint_config(ckpt), ckpt + "/config.json");
  Dataset d;
  if (data_dir.empty()) {  // gat-train's built-in graph, generated from the run's seed
    CsbmOptions synthetic;
    synthetic.seed = config.seed;
    d = make_csbm(synthetic);
  } else {
    LoadOptions options;
    options.normalize_features = config.normalize_features;
    d = load_dataset(data_dir, options);
  }
  NodeData data = prepare_node_data(d, config.add_self_loops);  // the graph the model attends over

  GAT model(config);
  nn::load_checkpoint(ckpt, model, nullptr);  // the parameters; no optimiser
  model.eval();                               // no dropout
  NoGradGuard no_grad;                        // no tape
  Tensor logits = model.forward(data.x, data.graph);  // [N, C] float32
  const float* row = logits.data<float>();
  for (int64_t i = 0; i < 3 && !data.multilabel; ++i, row += data.num_classes) {
    int64_t best = 0;  // the predicted class: the largest logit of the node's row
    for (int64_t c = 1; c < data.num_classes; ++c) best = row[c] > row[best] ? c : best;
    std::printf("node %lld: predicted class %lld, label %lld\n", static_cast<long long>(i),
                static_cast<long long>(best), static_cast<long long>(data.labels[i]));
  }
  Evaluation val = evaluate(model, data, data.val_rows);
  Evaluation test = evaluate(model, data, data.test_rows);
  std::printf("gatgrad %s, %s model: val_accuracy=%.4f test_accuracy=%.4f\n", version(),
              config.model.c_str(), val.accuracy, test.accuracy);
  return test;
}
// README: end

#include <cmath>
#include <cstring>
#include <exception>
#include <vector>

#ifndef GATGRAD_PACKAGE_VERSION
#error "GATGRAD_PACKAGE_VERSION (find_package's gatgrad_VERSION) must be defined by tests/consumer/CMakeLists.txt"
#endif

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

// Everything the package should provide, exercised from the outside.
void self_test(const std::string& dir) {
  // The library's version is the one the package's version file announced to find_package.
  check(std::string(version()) == GATGRAD_PACKAGE_VERSION,
        std::string("gatgrad::version() ") + version() + " == package version " + GATGRAD_PACKAGE_VERSION);

  // The engine: the tape's gradient of a small composed function agrees with finite differences.
  const Tensor a = uniform({4, 3}, -1, 1, 1, DType::f64).requires_grad_();
  const Tensor b = uniform({3, 5}, -1, 1, 2, DType::f64).requires_grad_();
  const GradcheckResult g = gradcheck(
      [](const std::vector<Tensor>& in) { return log_softmax(elu(matmul(in[0], in[1]))); }, {a, b});
  char errors[96];
  std::snprintf(errors, sizeof errors, "max_abs_err=%.3g max_rel_err=%.3g", g.max_abs_err, g.max_rel_err);
  check(g.pass && g.checked == 27, std::string("gradcheck of log_softmax(elu(a b)): ") + errors);

  // A small GAT (2 heads) trained for 60 epochs on gat-train's built-in graph learns it well
  // (5 classes: chance is 0.2).
  CsbmOptions synthetic;
  synthetic.seed = 7;
  Preset p = make_preset("cora");
  const NodeData data = prepare_node_data(make_csbm(synthetic), p.model.add_self_loops);
  p.model.in_features = data.x.cols();
  p.model.num_classes = data.num_classes;
  p.model.heads = 2;
  p.model.seed = 7;
  p.model.normalize_features = false;  // Gaussian features: never normalised (as gat-train)
  p.train.max_epochs = 60;
  p.train.lr = 0.02;
  GAT model(p.model);
  const TrainResult r = train_node_classifier(model, data, p.train);
  check(r.epochs_run == 60 && r.test.accuracy > 0.8,
        "60 epochs of a 2-head GAT: test_accuracy=" + std::to_string(r.test.accuracy));

  // Saved and reloaded into a fresh model: the same logits, bit for bit, and predict() (the
  // README's code) finds the same accuracy.
  const std::string ckpt = dir + "/ckpt";
  nn::save_checkpoint(ckpt, model, nullptr, p.model.to_json());
  GAT copy(GATConfig::from_json(nn::read_checkpoint_config(ckpt), ckpt + "/config.json"));
  nn::load_checkpoint(ckpt, copy, nullptr);
  model.eval();
  copy.eval();
  NoGradGuard no_grad;
  const std::vector<double> before = model.forward(data.x, data.graph).to_vector();
  const std::vector<double> after = copy.forward(data.x, data.graph).to_vector();
  check(before == after && before.size() == static_cast<size_t>(2000 * 5),
        "the reloaded model's logits equal the trained model's (" + std::to_string(after.size()) + " values)");
  const Evaluation e = predict(ckpt, "");
  check(e.accuracy == r.test.accuracy, "predict() on the checkpoint: test_accuracy=" + std::to_string(e.accuracy));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::strcmp(argv[1], "--self-test") == 0) {
      self_test(argv[2]);
      std::printf("%s\n", failures == 0 ? "self-test passed" : "self-test FAILED");
      return failures == 0 ? 0 : 1;
    }
    if (argc == 2 || argc == 3) {
      predict(argv[1], argc == 3 ? argv[2] : "");
      return 0;
    }
    std::fprintf(stderr, "usage: predict CKPT [DATA] | predict --self-test DIR\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "predict: %s\n", e.what());
    return 1;
  }
}
