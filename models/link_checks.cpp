// Gradient checks of link prediction's ops (`gradcheck --list`): the pair scores of
// graph/pair_scores.hpp and the MLP decoder over them, in float64. To add one: register a case
// below that builds float64 inputs with requires_grad and returns gradcheck(f, inputs).
#include "autograd/creation.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "models/checks.hpp"
#include "models/link_decoder.hpp"

namespace gatgrad {

namespace {

// 6 nodes, 7 pairs: node 1 in four pairs (both ends), a repeated pair (0, 1), a pair (2, 2) of
// a node with itself (its gradient gets both terms), node 5 in none.
NodePairs check_pairs() { return {{0, 1, 3, 0, 2, 4, 1}, {1, 3, 1, 1, 2, 1, 4}}; }

Tensor rand64(const Shape& s, uint64_t seed) { return uniform(s, -1.0, 1.0, seed, DType::f64).requires_grad_(); }

}  // namespace

void register_link_checks(CheckRegistry& r) {
  r.add("pair_dot", [] {
    const NodePairs p = check_pairs();
    return gradcheck([p](const std::vector<Tensor>& in) { return pair_dot(in[0], p); }, {rand64({6, 4}, 301)});
  });
  r.add("pair_mul", [] {
    const NodePairs p = check_pairs();
    return gradcheck([p](const std::vector<Tensor>& in) { return pair_mul(in[0], p); }, {rand64({6, 3}, 302)});
  });
  r.add("link_decoder:mlp", [] {
    // Embeddings and every parameter of the decoder; biases away from 0 so that ReLU's kink is
    // not where a finite difference lands.
    auto decoder = std::make_shared<LinkDecoder>("mlp", 4, 5, 9, DType::f64);
    std::vector<Tensor> inputs = {rand64({6, 4}, 303)};
    for (const Tensor& p : decoder->parameters()) {
      p.copy_from(uniform(p.shape(), -0.5, 0.5, 304 + inputs.size(), DType::f64));
      inputs.push_back(p);
    }
    const NodePairs p = check_pairs();
    return gradcheck([decoder, p](const std::vector<Tensor>& in) { return decoder->forward(in[0], p); }, inputs);
  });
}

}  // namespace gatgrad
