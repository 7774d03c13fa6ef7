/// @file
/// A Dataset (graph/dataset.hpp) from the xtensor arrays a C++ user already has: node features,
/// labels, an edge list and the split masks, in the layouts of PyG's `Data` (x [N, F], y [N],
/// edge_index [2, E], train_mask [N]). Each setter evaluates its expression once into the
/// Dataset's own vectors and checks it; a problem is a DataError naming the field:
///   "gatgrad::set_edges: edge_index: edge 17: target 2708 is out of range [0, 2708)".
///
///   Dataset d = dataset_from_xtensor(x, y, edge_index, train_mask, val_mask, test_mask);
///
/// (PyG: `Data(x=x, y=y, edge_index=edge_index, train_mask=...)`.) prepare_node_data
/// (models/node_data.hpp) then builds the tensors and the graph, as for a loaded dataset.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/error.hpp"
#include "graph/dataset.hpp"

namespace gatgrad {

namespace xtensor_detail {

// The extents of expression e, checked to be `rank` axes; `what` names the setter and field.
template <class E>
std::vector<int64_t> extents(const E& e, std::size_t rank, const std::string& what) {
  if (e.dimension() != rank)
    throw DataError(what + ": " + std::to_string(e.dimension()) + " axes, expected " + std::to_string(rank));
  return {e.shape().begin(), e.shape().end()};
}

template <class E>
std::vector<int64_t> extents_1_or_2(const E& e, const std::string& what) {
  if (e.dimension() != 1 && e.dimension() != 2)
    throw DataError(what + ": " + std::to_string(e.dimension()) + " axes, expected 1 ([N] class ids) or 2 ([N, C] of 0/1)");
  return {e.shape().begin(), e.shape().end()};
}

// Expression e's values, row-major, converted to T, in a vector (evaluated once).
template <class T, class E>
std::vector<T> values(const E& e) {
  std::vector<T> v(e.size());
  auto out = xt::adapt(v.data(), v.size(), xt::no_ownership(), std::vector<std::size_t>(e.shape().begin(), e.shape().end()));
  xt::noalias(out) = xt::cast<T>(e);
  return v;
}

inline void check_rows(const Dataset& d, int64_t rows, const std::string& what) {
  if (d.num_nodes > 0 && rows != d.num_nodes)
    throw DataError(what + ": " + std::to_string(rows) + " rows, but the dataset has " + std::to_string(d.num_nodes) +
                    " nodes (from its features)");
}

}  // namespace xtensor_detail

/// Node features x [N, F], any real values, stored dense float32: sets d.num_nodes, d.num_features
/// and d.x_dense (a sparse or mapped form is dropped), features_normalized false.
/// @throws DataError when x is not 2-D or disagrees with labels or masks already set
template <class E>
void set_features(Dataset& d, const xt::xexpression<E>& x) {
  const E& e = x.derived_cast();
  static_assert(std::is_arithmetic_v<std::decay_t<typename E::value_type>>, "set_features: x holds numbers");
  const std::vector<int64_t> s = xtensor_detail::extents(e, 2, "gatgrad::set_features: x");
  if (!d.y.empty() && !d.multilabel && static_cast<int64_t>(d.y.size()) != s[0])
    throw DataError("gatgrad::set_features: x: " + std::to_string(s[0]) + " rows, but y has " +
                    std::to_string(d.y.size()) + " labels");
  d.x_dense = xtensor_detail::values<float>(e);
  d.x_is_sparse = false;
  d.x_sparse = {};
  d.x_mapped = {};
  d.features_normalized = false;
  d.num_nodes = s[0];
  d.num_features = s[1];
}

/// Labels: class ids y [N] (integers in [0, C)), or multi-label targets y [N, C] of 0/1. Sets
/// d.y, d.multilabel and d.num_classes: C is `num_classes` when given (> 0), else the largest
/// id + 1 (for [N, C]: its columns).
/// @throws DataError for another rank, an id out of range, a target not 0 or 1, or N not the
///         number of nodes the features set
template <class E>
void set_labels(Dataset& d, const xt::xexpression<E>& y, int64_t num_classes = 0) {
  const E& e = y.derived_cast();
  static_assert(std::is_integral_v<std::decay_t<typename E::value_type>>,
                "set_labels: y holds integers (class ids, or 0/1 targets)");
  const std::string what = "gatgrad::set_labels: y";
  const std::vector<int64_t> s = xtensor_detail::extents_1_or_2(e, what);
  xtensor_detail::check_rows(d, s[0], what);
  std::vector<int64_t> v = xtensor_detail::values<int64_t>(e);
  const bool multilabel = s.size() == 2;
  int64_t classes = multilabel ? s[1] : num_classes;
  if (multilabel && num_classes > 0 && num_classes != s[1])
    throw DataError(what + ": " + std::to_string(s[1]) + " columns, but num_classes is " + std::to_string(num_classes));
  if (!multilabel && classes <= 0)
    for (int64_t c : v) classes = std::max(classes, c + 1);
  for (size_t k = 0; k < v.size(); ++k) {
    if (multilabel ? (v[k] != 0 && v[k] != 1) : (v[k] < 0 || v[k] >= classes))
      throw DataError(what + ": " + (multilabel ? "target [" + std::to_string(k / s[1]) + ", " + std::to_string(k % s[1]) + "] is " +
                                                      std::to_string(v[k]) + ", not 0 or 1"
                                                : "node " + std::to_string(k) + ": class " + std::to_string(v[k]) +
                                                      " is out of range [0, " + std::to_string(classes) + ")"));
  }
  d.y = std::move(v);
  d.multilabel = multilabel;
  d.num_classes = classes;
}

/// Edges j -> i from edge_index [2, E] (PyG's layout: row 0 the sources j, row 1 the targets i),
/// integers in [0, N) where N is the number of nodes set_features set: d.src, d.dst (any edge
/// features are dropped: they were in the old edges' order).
/// @throws DataError for another shape, an index out of range, or no features set yet
template <class E>
void set_edges(Dataset& d, const xt::xexpression<E>& edge_index) {
  const E& e = edge_index.derived_cast();
  static_assert(std::is_integral_v<std::decay_t<typename E::value_type>>, "set_edges: edge_index holds integers");
  const std::string what = "gatgrad::set_edges: edge_index";
  const std::vector<int64_t> s = xtensor_detail::extents(e, 2, what);
  if (s[0] != 2)
    throw DataError(what + ": shape [" + std::to_string(s[0]) + ", " + std::to_string(s[1]) +
                    "], expected [2, E] (row 0 sources, row 1 targets)");
  if (d.num_nodes <= 0 && s[1] > 0) throw DataError(what + ": the dataset has no nodes yet: set_features first");
  const std::vector<int64_t> v = xtensor_detail::values<int64_t>(e);
  const int64_t num_edges = s[1];
  std::vector<int32_t> src(static_cast<size_t>(num_edges)), dst(static_cast<size_t>(num_edges));
  for (int64_t k = 0; k < 2 * num_edges; ++k) {
    const int64_t node = v[static_cast<size_t>(k)];
    if (node < 0 || node >= d.num_nodes)
      throw DataError(what + ": edge " + std::to_string(k % num_edges) + ": " + (k < num_edges ? "source " : "target ") +
                      std::to_string(node) + " is out of range [0, " + std::to_string(d.num_nodes) + ")");
    (k < num_edges ? src : dst)[static_cast<size_t>(k % num_edges)] = static_cast<int32_t>(node);
  }
  d.src = std::move(src);
  d.dst = std::move(dst);
  d.edge_dim = 0;
  d.edge_attr.clear();
}

/// The split: three masks [N] of 0/1 (bools or integers), train, validation and test nodes.
/// @throws DataError for another shape or a value not 0 or 1
template <class Tr, class Va, class Te>
void set_masks(Dataset& d, const xt::xexpression<Tr>& train, const xt::xexpression<Va>& val,
               const xt::xexpression<Te>& test) {
  auto mask = [&d](const auto& m, const std::string& name) {
    const std::string what = "gatgrad::set_masks: " + name;
    const std::vector<int64_t> s = xtensor_detail::extents(m, 1, what);
    xtensor_detail::check_rows(d, s[0], what);
    const std::vector<int64_t> v = xtensor_detail::values<int64_t>(m);
    std::vector<uint8_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != 0 && v[i] != 1)
        throw DataError(what + ": node " + std::to_string(i) + " is " + std::to_string(v[i]) + ", not 0 or 1");
      out[i] = static_cast<uint8_t>(v[i]);
    }
    return out;
  };
  std::vector<uint8_t> tr = mask(train.derived_cast(), "train_mask");
  std::vector<uint8_t> va = mask(val.derived_cast(), "val_mask");
  std::vector<uint8_t> te = mask(test.derived_cast(), "test_mask");
  d.train_mask = std::move(tr);
  d.val_mask = std::move(va);
  d.test_mask = std::move(te);
}

/// The whole node-classification dataset at once, in PyG's layouts (x [N, F], y [N] or [N, C],
/// edge_index [2, E], three masks [N]), named `name`: the four setters above, in order.
template <class X, class Y, class EI, class Tr, class Va, class Te>
Dataset dataset_from_xtensor(const xt::xexpression<X>& x, const xt::xexpression<Y>& y,
                             const xt::xexpression<EI>& edge_index, const xt::xexpression<Tr>& train_mask,
                             const xt::xexpression<Va>& val_mask, const xt::xexpression<Te>& test_mask,
                             const std::string& name = "xtensor") {
  Dataset d;
  d.name = name;
  set_features(d, x);
  set_labels(d, y);
  set_edges(d, edge_index);
  set_masks(d, train_mask, val_mask, test_mask);
  return d;
}

}  // namespace gatgrad
