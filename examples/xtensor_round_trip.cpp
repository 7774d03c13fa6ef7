// xtensor-round-trip: gatgrad inside a C++ program whose arrays are xtensor's (docs/custom-model.md,
// section 11). The program's own arrays (features, labels, an edge list, masks) go in, a GAT trains
// on them, and the logits come back as an xt::xtensor<float, 2>, where xtensor computes the
// accuracy and the confusion matrix; a tensor is also made from an xtensor expression (the
// class probabilities) and checked against gatgrad's softmax.
//
//   build/bin/xtensor-round-trip
//
// The install test (tests/consumer/check-install.sh) compiles this file outside the tree as well,
// against the installed package: `find_package(gatgrad)` and `gatgrad::gatgrad` alone.
// Exit status: 0 when every check holds, 1 otherwise (the failed check is printed).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xindex_view.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xrandom.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <gatgrad/gatgrad.hpp>

using namespace gatgrad;

namespace {

constexpr int64_t kNodes = 600, kClasses = 3, kFeatures = 16, kEdges = 4800;

int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

}  // namespace

int main() {
  try {
    // 1. The program's arrays, as it would have them: node i of class i mod 3, features its class's
    //    mean plus noise, most edges inside a class, PyG's edge_index layout [2, E].
    xt::random::seed(7);
    const xt::xtensor<int64_t, 1> y = xt::arange<int64_t>(kNodes) % kClasses;
    const xt::xtensor<double, 2> means = xt::random::randn<double>({kClasses, kFeatures});
    xt::xtensor<double, 2> x = xt::view(means, xt::keep(y), xt::all()) + 2.0 * xt::random::randn<double>({kNodes, kFeatures});
    const xt::xtensor<int64_t, 1> src = xt::random::randint<int64_t>({kEdges}, 0, kNodes);
    const xt::xtensor<int64_t, 1> hop = kClasses * xt::random::randint<int64_t>({kEdges}, 1, kNodes / kClasses);  // stays in the class
    const xt::xtensor<int64_t, 1> stranger = xt::random::randint<int64_t>({kEdges}, 0, kNodes);                 // any node
    const xt::xtensor<int64_t, 1> dst = xt::where(xt::random::rand<double>({kEdges}) < 0.8, (src + hop) % kNodes, stranger);
    const xt::xtensor<int64_t, 2> edge_index = xt::stack(xt::xtuple(src, dst));
    const auto node = xt::arange<int64_t>(kNodes);
    const xt::xtensor<bool, 1> train_mask = node < 60, val_mask = node >= 60 && node < 260, test_mask = node >= 300;

    // 2. Features prepared in xtensor (each column standardised), then the dataset.
    x = (x - xt::mean(x, {0})) / xt::stddev(x, {0});
    const Dataset d = dataset_from_xtensor(x, y, edge_index, train_mask, val_mask, test_mask, "xtensor");
    std::printf("dataset: %lld nodes, %lld edges, %lld features, %lld classes\n", static_cast<long long>(d.num_nodes),
                static_cast<long long>(d.num_edges()), static_cast<long long>(d.num_features),
                static_cast<long long>(d.num_classes));

    // 3. A small GAT trained on it.
    const NodeData data = prepare_node_data(d, /*add_self_loops=*/true);
    Preset p = make_preset("cora");
    p.model.in_features = d.num_features;
    p.model.num_classes = d.num_classes;
    p.model.heads = 2;
    p.model.seed = 7;
    p.model.normalize_features = false;  // standardised above
    p.train.max_epochs = 40;
    p.train.lr = 0.02;
    GAT model(p.model);
    const TrainResult r = train_node_classifier(model, data, p.train);
    std::printf("trained %lld epochs: val_accuracy=%.4f test_accuracy=%.4f\n", static_cast<long long>(r.epochs_run),
                r.val.accuracy, r.test.accuracy);

    // 4. The logits back as an xtensor array (a copy out of the tensor's storage), the accuracy
    //    and the confusion matrix of the test nodes computed there.
    model.eval();
    NoGradGuard no_tape;
    const Tensor out = model.forward(data.x, data.graph);  // [N, C] float32
    const xt::xtensor<float, 2> logits = adapt<float, 2>(out);
    const xt::xtensor<int64_t, 1> predicted = xt::argmax(logits, 1);
    const double accuracy = xt::mean(xt::cast<double>(xt::filter(xt::equal(predicted, y), test_mask)))();
    std::printf("xtensor: test accuracy %.4f over %zu nodes\n", accuracy, xt::filter(y, test_mask).size());
    const auto classes = xt::arange<int64_t>(kClasses);
    const auto is_test = xt::view(test_mask, xt::all(), xt::newaxis());
    const xt::xtensor<int64_t, 2> truth = is_test && xt::equal(xt::view(y, xt::all(), xt::newaxis()), classes);  // [N, C]
    const xt::xtensor<int64_t, 2> guess = xt::equal(xt::view(predicted, xt::all(), xt::newaxis()), classes);     // [N, C]
    // confusion_ab = Σ_i [y_i = a] [ŷ_i = b] over the test nodes
    const xt::xtensor<int64_t, 2> confusion =
        xt::sum(xt::view(truth, xt::all(), xt::all(), xt::newaxis()) * xt::view(guess, xt::all(), xt::newaxis(), xt::all()), {0});
    std::printf("confusion (row: label, column: prediction):\n");
    for (std::size_t a = 0; a < static_cast<std::size_t>(kClasses); ++a)
      std::printf("  %4lld %4lld %4lld\n", static_cast<long long>(confusion(a, 0)), static_cast<long long>(confusion(a, 1)),
                  static_cast<long long>(confusion(a, 2)));

    // 5. A tensor from an xtensor expression: softmax of the logits, evaluated once into the tensor.
    // (Each reduction kept as [N, 1] is evaluated before it is broadcast: xtensor 0.24 computes
    // a lazy xt::keep_dims reduction inside a broadcasting expression wrongly.)
    const xt::xtensor<float, 2> row_max = xt::amax(logits, {1}, xt::keep_dims);
    const xt::xtensor<float, 2> exps = xt::exp(logits - row_max);
    const xt::xtensor<float, 2> row_sum = xt::sum(exps, {1}, xt::keep_dims);
    const Tensor probabilities = from_xtensor(exps / row_sum);
    const Tensor engine = softmax(out);
    const double worst = xt::amax(xt::abs(adapt<float, 2>(probabilities) - adapt<float, 2>(engine)))();
    std::printf("from_xtensor(softmax): %s, max |xtensor - gatgrad softmax| = %.2g\n", probabilities.describe().c_str(), worst);

    check(std::abs(accuracy - r.test.accuracy) < 1e-12, "xtensor's accuracy of the adapted logits equals gatgrad's evaluate");
    check(xt::sum(confusion)() == 300 && std::abs(static_cast<double>(xt::sum(xt::diagonal(confusion))()) / 300 - accuracy) < 1e-12,
          "the confusion matrix counts the 300 test nodes, its diagonal the right ones");
    check(r.test.accuracy > 0.8, "the GAT learned the classes (test accuracy > 0.8; chance is 1/3)");
    check(worst < 1e-6, "from_xtensor of the softmax expression equals gatgrad's softmax");
    std::printf("%s\n", failures == 0 ? "xtensor-round-trip: PASS" : "xtensor-round-trip: FAIL");
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xtensor-round-trip: %s\n", e.what());
    return 1;
  }
}
