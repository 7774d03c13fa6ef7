// graph-classifier: one class per graph (molecules, proteins), built from gatgrad's public
// primitives: two GAT layers embed the nodes, a readout pools each graph's nodes into one row,
// a linear layer gives the classes. docs/tasks.md walks through it.
//
//   build/bin/graph-classifier                                         (the synthetic motif set)
//   build/bin/graph-classifier --data ../shared/datasets/tu/MUTAG/raw  (a TU Dortmund folder)
//
// It trains on one stratified split (fold 0 of 10: 80% train, 10% validation, 10% test; the
// model of the best validation accuracy is kept) and prints `test_accuracy=<x>` last.
// Exit status: 0 on success, 1 on missing or invalid data, 2 on a bad command line.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "autograd/ops.hpp"             // relu, cross_entropy, backward, NoGradGuard
#include "autograd/random.hpp"          // derive_key: one seed per layer
#include "graph/readout.hpp"            // global_mean_pool, global_add_pool, attention_pool
#include "graph/synthetic_motifs.hpp"   // make_motif_graphs: the class is a motif
#include "graph/tu_dataset.hpp"         // load_tu_dataset: DS_A.txt, DS_graph_indicator.txt, ...
#include "models/gat_conv.hpp"          // GATConv
#include "models/graph_folds.hpp"       // stratified_folds
#include "nn/linear.hpp"                // nn::Linear
#include "nn/metrics.hpp"               // nn::accuracy
#include "nn/optim.hpp"                 // nn::Adam

using namespace gatgrad;

// ======================================= the model: begin =======================================
// For a batch of G graphs with N nodes in all, batch[i] = node i's graph:
//   h1     = ELU(GATConv_1(x))       4 heads × 16, concatenated      [N, 64]
//   h2     = ELU(GATConv_2(h1))                                      [N, 64]
//   r_g    = Σ_{i: batch[i] = g} h2_i  (sum readout, PyG global_add_pool)   [G, 64]
//   logits = r · W + b                                               [G, C]
class GraphClassifierExample : public nn::Module {
 public:
  GraphClassifierExample(int64_t in, int64_t classes, uint64_t seed) {
    AttentionLayerOptions o;
    o.out_features = 16;
    o.heads = 4;
    o.concat = true;
    o.elu = true;
    o.in_features = in;
    o.seed = derive_key(seed, 1);
    conv1_ = register_module("conv1", std::make_shared<GATConv>(o));
    o.in_features = 64;
    o.seed = derive_key(seed, 2);
    conv2_ = register_module("conv2", std::make_shared<GATConv>(o));
    out_ = register_module("out", std::make_shared<nn::Linear>(64, classes, true, derive_key(seed, 3)));
  }

  // x [N, F], g with one self-loop per node, batch [N] -> logits [G, C]
  Tensor forward(const Tensor& x, const Graph& g, const std::vector<int32_t>& batch, int64_t num_graphs) {
    const Tensor h = (*conv2_)((*conv1_)(x, g), g);
    return out_->forward(global_add_pool(h, batch, num_graphs));
  }

 private:
  std::shared_ptr<GATConv> conv1_, conv2_;
  std::shared_ptr<nn::Linear> out_;
};
// ======================================== the model: end ========================================

namespace {

// The graphs `ids` of d as one batch: their nodes' features, the graph of their edges with a
// self-loop per node, and the batch vector (PyG's Batch.from_data_list).
struct Batch {
  Tensor x;
  Graph g;
  std::vector<int32_t> batch;
  std::vector<int64_t> labels;
};

Batch make_batch(const Dataset& d, const std::vector<int32_t>& ids) {
  std::vector<int32_t> local(static_cast<size_t>(d.num_nodes), -1);
  std::vector<int32_t> position(static_cast<size_t>(d.num_graphs), -1);
  for (size_t k = 0; k < ids.size(); ++k) position[static_cast<size_t>(ids[k])] = static_cast<int32_t>(k);
  Batch b;
  std::vector<float> x;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    const int32_t k = position[static_cast<size_t>(d.graph_index[static_cast<size_t>(i)])];
    if (k < 0) continue;
    local[static_cast<size_t>(i)] = static_cast<int32_t>(b.batch.size());
    b.batch.push_back(k);
    x.insert(x.end(), d.x_dense.begin() + i * d.num_features, d.x_dense.begin() + (i + 1) * d.num_features);
  }
  std::vector<int32_t> src, dst;
  for (int64_t e = 0; e < d.num_edges(); ++e)
    if (local[static_cast<size_t>(d.src[e])] >= 0) {
      src.push_back(local[static_cast<size_t>(d.src[e])]);
      dst.push_back(local[static_cast<size_t>(d.dst[e])]);
    }
  const auto n = static_cast<int64_t>(b.batch.size());
  b.x = Tensor::from_span<float>(x, {n, d.num_features});
  b.g = Graph::from_edges(src, dst, n).add_self_loops();
  for (int32_t id : ids) b.labels.push_back(d.graph_labels[static_cast<size_t>(id)]);
  return b;
}

int run(const std::string& data, int64_t epochs) {
  const Dataset d = data.empty() ? make_motif_graphs(MotifGraphOptions{}) : load_tu_dataset(data);
  const GraphFold split = stratified_folds(d.graph_labels, d.num_classes, 10, /*seed=*/0)[0];
  std::printf("graph-classifier: %s, %lld graphs, %lld node features, %lld classes; %zu train, %zu val, %zu test\n",
              d.name.c_str(), static_cast<long long>(d.num_graphs), static_cast<long long>(d.num_features),
              static_cast<long long>(d.num_classes), split.train.size(), split.val.size(), split.test.size());
  const Batch val = make_batch(d, split.val), test = make_batch(d, split.test);

  GraphClassifierExample model(d.num_features, d.num_classes, /*seed=*/0);
  nn::Adam opt(model.parameters(), /*lr=*/0.005, nn::kAdamBeta1, nn::kAdamBeta2, nn::kAdamEps, /*weight_decay=*/0.0);
  auto accuracy = [&](const Batch& b) {
    model.eval();
    NoGradGuard no_tape;
    return nn::accuracy(model.forward(b.x, b.g, b.batch, static_cast<int64_t>(b.labels.size())), b.labels);
  };
  double best_val = -1, test_at_best = 0;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    // batches of 32 training graphs, in an order that changes every epoch
    std::vector<int32_t> order = split.train;
    for (size_t k = order.size(); k > 1; --k)
      std::swap(order[k - 1], order[uniform_below(hash64(static_cast<uint64_t>(epoch), k), k)]);
    double loss_sum = 0;
    for (size_t start = 0; start < order.size(); start += 32) {
      const std::vector<int32_t> ids(order.begin() + static_cast<int64_t>(start),
                                     order.begin() + static_cast<int64_t>(std::min(order.size(), start + 32)));
      const Batch b = make_batch(d, ids);
      model.train();
      opt.zero_grad();
      Tensor loss = cross_entropy(model.forward(b.x, b.g, b.batch, static_cast<int64_t>(ids.size())), b.labels);
      backward(loss);
      opt.step();
      loss_sum += loss.item() * static_cast<double>(ids.size());
    }
    const double val_acc = accuracy(val);
    if (val_acc >= best_val) {  // the test accuracy at the best validation accuracy (the last such epoch)
      best_val = val_acc;
      test_at_best = accuracy(test);
    }
    if (epoch % 10 == 0 || epoch == epochs)
      std::printf("epoch %3lld  train_loss=%.4f  val_accuracy=%.4f\n", static_cast<long long>(epoch),
                  loss_sum / static_cast<double>(order.size()), val_acc);
  }
  std::printf("test_accuracy=%.4f\n", test_at_best);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data;
  int64_t epochs = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--data" || arg == "--epochs") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (arg == "--data") {
        data = v;
        continue;
      }
      char* end = nullptr;
      epochs = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || epochs < 1) {
        std::fprintf(stderr, "graph-classifier: --epochs needs a positive whole number, got '%s'\n", v.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "graph-classifier: unknown or incomplete option '%s'\n"
                           "usage: graph-classifier [--data TU_DIR] [--epochs N]\n", arg.c_str());
      return 2;
    }
  }
  try {
    return run(data, epochs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "graph-classifier: %s\n", e.what());
    return 1;
  }
}
