// custom-gcn: a graph model of your own, built from gatgrad's public primitives and trained on a
// node-classification dataset. The model is a GCN (Kipf & Welling, 2017, "Semi-Supervised
// Classification with Graph Convolutional Networks"); docs/custom-model.md walks through it.
//
//   build/bin/custom-gcn --data ../shared/datasets/cora
//
// It prints a line every 20 epochs and, last, `test_accuracy=<x>`. Exit status: 0 on success,
// 1 when the data is missing or invalid (--data not given, not a dataset directory, broken
// files), 2 on a bad command line (unknown option, option without its value, bad number).
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "autograd/ops.hpp"           // matmul, relu, dropout, cross_entropy, backward, NoGradGuard
#include "autograd/random.hpp"        // derive_key: one dropout key per (seed, draw)
#include "graph/load_dataset.hpp"     // load_dataset: a directory of .npy files -> Dataset
#include "graph/message_passing.hpp"  // gather, scatter_add over a Graph
#include "models/input_features.hpp"  // InputFeatures (dense or CSR) and dropout_matmul
#include "nn/init.hpp"                // glorot_uniform
#include "nn/metrics.hpp"             // accuracy, mask_to_rows
#include "nn/module.hpp"              // nn::Module: named parameters, train()/eval()
#include "nn/optim.hpp"               // nn::Adam

using namespace gatgrad;

// ======================================= the model: begin =======================================
// GCN, one layer:  H' = σ(D̂^{-1/2} Â D̂^{-1/2} H W),  Â = A + I,  D̂_ii = Σ_j Â_ij.
// Row i of it:     h'_i = σ( Σ_{j ∈ N(i) ∪ {i}} c_ij (H W)_j ),   c_ij = 1 / sqrt(d̂_i d̂_j)
// so a layer projects every node once (H W), sends c_ij (H W)_j along each edge j -> i of Â,
// and sums what arrives at i. N nodes, E edges of Â (self-loops included), D features.

// c_ij of every edge of g (g = Â, in g's edge order) as a constant column [E, 1]; d̂ = in-degree.
Tensor gcn_norm(const Graph& g) {
  const std::vector<int64_t> deg = g.in_degrees();
  std::vector<double> c(static_cast<size_t>(g.num_edges()));
  for (int64_t e = 0; e < g.num_edges(); ++e)
    c[e] = 1.0 / std::sqrt(static_cast<double>(deg[g.src()[e]]) * static_cast<double>(deg[g.dst()[e]]));
  return Tensor::from_vector(c, {g.num_edges(), 1});
}

// D̂^{-1/2} Â D̂^{-1/2} · hw:  hw [N, D], norm [E, 1] -> [N, D]
Tensor propagate(const Tensor& hw, const Graph& g, const Tensor& norm) {
  Tensor messages = gather(hw, g, Endpoint::src) * norm;  // c_ij (H W)_j     [E, D]
  return scatter_add(messages, g);                         // Σ_j c_ij (H W)_j [N, D]
}

class GCN : public nn::Module {
 public:
  GCN(int64_t in, int64_t hidden, int64_t classes, double dropout, uint64_t seed) : p_(dropout), seed_(seed) {
    w1_ = register_parameter("w1", Tensor::empty({in, hidden}));       // W⁽¹⁾ [F, 16]
    b1_ = register_parameter("b1", Tensor::zeros({hidden}));           // b⁽¹⁾ [16]
    w2_ = register_parameter("w2", Tensor::empty({hidden, classes}));  // W⁽²⁾ [16, C]
    b2_ = register_parameter("b2", Tensor::zeros({classes}));          // b⁽²⁾ [C]
    nn::glorot_uniform(w1_, derive_key(seed, 1));
    nn::glorot_uniform(w2_, derive_key(seed, 2));
  }

  // x [N, F] (dense or CSR), g = Â, norm = gcn_norm(g) -> logits [N, C] (softmax is in the loss)
  Tensor forward(const InputFeatures& x, const Graph& g, const Tensor& norm) {
    const double p = is_training() ? p_ : 0.0;  // dropout only while training
    const uint64_t draw = is_training() ? draws_++ : 0;
    Tensor xw = dropout_matmul(x, w1_, p, derive_key(seed_, 2 * draw));          // dropout(X) W⁽¹⁾  [N, 16]
    Tensor h = relu(propagate(xw, g, norm) + b1_);                               // H⁽¹⁾             [N, 16]
    Tensor hw = matmul(dropout(h, p, derive_key(seed_, 2 * draw + 1)), w2_);     // dropout(H⁽¹⁾) W⁽²⁾ [N, C]
    return propagate(hw, g, norm) + b2_;                                         // logits           [N, C]
  }

 private:
  double p_;
  uint64_t seed_, draws_ = 0;
  Tensor w1_, b1_, w2_, b2_;
};
// ======================================== the model: end ========================================

namespace {

struct Options {
  std::string data;
  int64_t epochs = 200;
  uint64_t seed = 0;
};

constexpr const char* kUsage = "usage: custom-gcn --data DIR [--epochs N] [--seed S]";

void help() {
  std::printf("%s\n"
              "  Trains a 2-layer GCN (16 hidden units, dropout 0.5, Adam lr 0.01, weight decay 5e-4)\n"
              "  on the dataset in DIR (x.npy or x.npz, y.npy, edge_index.npy, *_mask.npy) and prints\n"
              "  test_accuracy=<x> on its last line.\n"
              "  --data DIR   dataset directory, e.g. ../shared/datasets/cora (required)\n"
              "  --epochs N   training epochs (default 200)\n"
              "  --seed S     seed of the initial weights and the dropout masks (default 0)\n",
              kUsage);
}

// Exit codes: 0 ok, 1 missing or invalid data, 2 bad command line.
constexpr int kExitData = 1, kExitUsage = 2;

struct UsageProblem {
  std::string message;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help();
      std::exit(0);
    }
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageProblem{"option " + arg + " needs a value"};
      return argv[++i];
    };
    auto number = [&](long long lo, long long hi) -> long long {
      const std::string v = value();
      char* end = nullptr;
      errno = 0;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || n < lo || n > hi)
        throw UsageProblem{"option " + arg + ": '" + v + "' is not a whole number in [" + std::to_string(lo) +
                           ", " + std::to_string(hi) + "]"};
      return n;
    };
    if (arg == "--data") {
      o.data = value();
    } else if (arg == "--epochs") {
      o.epochs = number(1, 1000000);
    } else if (arg == "--seed") {
      o.seed = static_cast<uint64_t>(number(0, 1LL << 62));
    } else if (!arg.empty() && arg[0] == '-') {
      throw UsageProblem{"unknown option '" + arg + "'"};
    } else {
      throw UsageProblem{"unexpected argument '" + arg + "' (the dataset is given as --data DIR)"};
    }
  }
  return o;
}

int run(const Options& o) {
  // The data: features, labels, edges j -> i and the train/val/test masks. Bag-of-words features
  // come back as CSR (Dataset::x_is_sparse), rows divided by their sum as Kipf & Welling did.
  const Dataset d = load_dataset(o.data);
  if (d.multilabel) throw DataError(o.data + ": custom-gcn trains single-label classification only");
  const InputFeatures x = d.x_is_sparse ? InputFeatures(SparseFeatures(d.x_sparse))
                                        : InputFeatures(Tensor::from_span<float>(d.x_dense, {d.num_nodes, d.num_features}));
  const Graph g = Graph::from_edges(d.src, d.dst, d.num_nodes).add_self_loops();  // Â = A + I
  const Tensor norm = gcn_norm(g);
  const std::vector<int64_t> train = nn::mask_to_rows(d.train_mask), val = nn::mask_to_rows(d.val_mask),
                             test = nn::mask_to_rows(d.test_mask);
  if (train.empty() || val.empty() || test.empty())
    throw DataError(o.data + ": the train, val and test masks must each select at least one node");
  std::printf("custom-gcn: %s, %lld nodes, %lld edges with self-loops, %lld features (%s), %lld classes\n",
              o.data.c_str(), static_cast<long long>(d.num_nodes), static_cast<long long>(g.num_edges()),
              static_cast<long long>(d.num_features), d.x_is_sparse ? "sparse" : "dense",
              static_cast<long long>(d.num_classes));

  GCN model(d.num_features, 16, d.num_classes, 0.5, o.seed);
  nn::Adam opt(model.parameters(), /*lr=*/0.01, nn::kAdamBeta1, nn::kAdamBeta2, nn::kAdamEps, /*weight_decay=*/5e-4);
  auto evaluate = [&](const std::vector<int64_t>& rows) {
    model.eval();
    NoGradGuard no_tape;  // evaluation records nothing
    return nn::accuracy(model.forward(x, g, norm), d.y, rows);
  };
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    model.train();
    opt.zero_grad();
    Tensor loss = cross_entropy(model.forward(x, g, norm), d.y, train);  // mean over the train nodes
    backward(loss);  // replays the tape: every parameter's .grad()
    opt.step();
    if (epoch % 20 == 0 || epoch == o.epochs)
      std::printf("epoch %3lld  train_loss=%.4f  val_accuracy=%.4f\n", static_cast<long long>(epoch), loss.item(),
                  evaluate(val));
  }
  std::printf("test_accuracy=%.4f\n", evaluate(test));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const UsageProblem& e) {
    std::fprintf(stderr, "custom-gcn: %s\n%s (--help for more)\n", e.message.c_str(), kUsage);
    return kExitUsage;
  }
  if (o.data.empty()) {
    std::fprintf(stderr, "custom-gcn: --data DIR is required (e.g. --data ../shared/datasets/cora)\n");
    return kExitData;
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom-gcn: %s\n", e.what());
    return kExitData;
  }
}
