// xtensor interop (interop/xtensor.hpp, interop/xtensor_dataset.hpp): views share the tensor's
// storage, from_xtensor evaluates into a tensor, datasets from xtensor arrays are checked.
// To add a test: build the tensor or arrays by hand, go through the interop call and compare
// values and addresses (a view's data() is the tensor's), or the DataError's message.
#define BOOST_TEST_MODULE xtensor
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/ops.hpp"
#include "graph/graph.hpp"
#include "interop/xtensor.hpp"
#include "interop/xtensor_dataset.hpp"
#include "models/node_data.hpp"
#include "testing.hpp"

using namespace gatgrad;

namespace {

auto has(const std::string& what) { return testing::message_has({what}); }

}  // namespace

BOOST_AUTO_TEST_CASE(adapt_views_the_storage_with_the_shape) {
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f32);
  auto v = adapt<float>(t);
  BOOST_TEST(v.dimension() == 2u);
  BOOST_TEST(v.shape()[0] == 2u);
  BOOST_TEST(v.shape()[1] == 3u);
  BOOST_TEST(v.data() == t.data<float>());  // no copy
  BOOST_TEST(v(1, 2) == 6.0f);
  v(0, 1) = 20.0f;  // writes the tensor
  BOOST_TEST(t.at({0, 1}) == 20.0);

  // The fixed-rank view, and the read-only one of a const tensor.
  const Tensor c = Tensor::from_vector({1.5, -2.5, 3.5}, {3}, DType::f64);
  auto r = adapt<double, 1>(c);
  static_assert(std::is_const_v<std::remove_reference_t<decltype(*r.data())>>, "a const tensor's view is read-only");
  BOOST_TEST(r(1) == -2.5);
  BOOST_TEST(r.data() == c.data<double>());
  // A whole xtensor expression over the view: the tensor's values, lazily.
  const xt::xtensor<double, 1> doubled = 2.0 * adapt<double, 1>(c);
  BOOST_TEST(doubled(2) == 7.0);
}

BOOST_AUTO_TEST_CASE(adapt_of_the_other_dtype_rank_or_no_data_throws) {
  Tensor t = Tensor::zeros({2, 2}, DType::f64);
  BOOST_CHECK_EXCEPTION(adapt<float>(t), Error, has("gatgrad::adapt<float>: the tensor is float64[2, 2], not float32: adapt<double> views it"));
  BOOST_CHECK_EXCEPTION((adapt<double, 3>(t)), Error, has("gatgrad::adapt<double, 3>: the tensor is float64[2, 2], of 2 axes, not 3"));
  Tensor none;
  BOOST_CHECK_EXCEPTION(adapt<double>(none), Error, has("the tensor is undefined"));
}

BOOST_AUTO_TEST_CASE(from_xtensor_evaluates_an_expression_into_a_tensor) {
  const xt::xtensor<double, 2> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  const Tensor t = from_xtensor(a * a - 1.0);  // float64, of the expression's element type
  BOOST_TEST((t.dtype() == DType::f64));
  BOOST_TEST(t.shape() == Shape({2, 3}));
  BOOST_TEST(t.to_vector() == std::vector<double>({0, 3, 8, 15, 24, 35}));
  BOOST_TEST(!t.requires_grad());

  // Another dtype on request, and an expression of integers (it must name one).
  const Tensor f = from_xtensor(xt::arange<int>(6), DType::f32);
  BOOST_TEST((f.dtype() == DType::f32));
  BOOST_TEST(f.to_vector() == std::vector<double>({0, 1, 2, 3, 4, 5}));
  // A broadcast expression of another rank, and a 0-d one.
  const xt::xarray<float> row = {1.0f, 2.0f};
  const Tensor b = from_xtensor(xt::broadcast(row, {3, 2}));
  BOOST_TEST(b.shape() == Shape({3, 2}));
  BOOST_TEST(b.to_vector() == std::vector<double>({1, 2, 1, 2, 1, 2}));
  BOOST_TEST(from_xtensor(xt::xtensor<float, 0>(7.0f)).item() == 7.0);

  // A tensor -> xtensor -> tensor round trip through an op of gatgrad's: the same values.
  Tensor x = Tensor::from_vector({-1, 0.5, 2, -3}, {2, 2}, DType::f32);
  const Tensor y = from_xtensor(xt::maximum(adapt<float>(x), 0.0f));
  const Tensor expected = relu(x);
  BOOST_TEST(y.to_vector() == expected.to_vector());

  BOOST_CHECK_EXCEPTION(from_xtensor(xt::xarray<float>::from_shape({1, 1, 1, 1, 1, 1, 1})), Error,
                        has("gatgrad::from_xtensor: the expression has 7 axes; a tensor holds at most 6"));
}

BOOST_AUTO_TEST_CASE(a_dataset_from_xtensor_arrays_trains_like_any_other) {
  // 4 nodes, 2 features, a path 0 - 1 - 2 - 3 both ways.
  const xt::xtensor<double, 2> x = {{1, 0}, {0, 1}, {1, 1}, {0, 0}};
  const xt::xtensor<int64_t, 1> y = {0, 1, 1, 0};
  const xt::xtensor<int, 2> edge_index = {{0, 1, 1, 2, 2, 3}, {1, 0, 2, 1, 3, 2}};
  const xt::xtensor<bool, 1> train = {true, true, false, false};
  const xt::xtensor<bool, 1> val = {false, false, true, false};
  const xt::xtensor<bool, 1> test = {false, false, false, true};
  const Dataset d = dataset_from_xtensor(x, y, edge_index, train, val, test, "path");
  BOOST_TEST(d.name == "path");
  BOOST_TEST(d.num_nodes == 4);
  BOOST_TEST(d.num_features == 2);
  BOOST_TEST(d.num_classes == 2);
  BOOST_TEST(!d.multilabel);
  BOOST_TEST(d.x_dense == std::vector<float>({1, 0, 0, 1, 1, 1, 0, 0}));
  BOOST_TEST(d.src == std::vector<int32_t>({0, 1, 1, 2, 2, 3}));
  BOOST_TEST(d.dst == std::vector<int32_t>({1, 0, 2, 1, 3, 2}));
  BOOST_TEST(d.train_mask == std::vector<uint8_t>({1, 1, 0, 0}));
  BOOST_TEST(d.test_mask == std::vector<uint8_t>({0, 0, 0, 1}));
  const NodeData data = prepare_node_data(d, true);
  BOOST_TEST(data.graph.num_edges() == 6 + 4);  // with one self-loop per node
  BOOST_TEST(data.train_rows == std::vector<int64_t>({0, 1}));

  // Multi-label targets [N, C] of 0/1.
  Dataset m = d;
  set_labels(m, xt::xtensor<int, 2>{{1, 0, 1}, {0, 0, 0}, {1, 1, 1}, {0, 1, 0}});
  BOOST_TEST(m.multilabel);
  BOOST_TEST(m.num_classes == 3);
  BOOST_TEST(m.y.size() == 12u);
}

BOOST_AUTO_TEST_CASE(a_dataset_from_xtensor_arrays_is_checked) {
  Dataset d;
  const xt::xtensor<int, 2> edges = {{0}, {1}};
  BOOST_CHECK_EXCEPTION(set_edges(d, edges), DataError, has("gatgrad::set_edges: edge_index: the dataset has no nodes yet: set_features first"));
  BOOST_CHECK_EXCEPTION(set_features(d, xt::xtensor<float, 1>{1, 2}), DataError, has("gatgrad::set_features: x: 1 axes, expected 2"));
  set_features(d, xt::zeros<float>({3, 2}));
  BOOST_CHECK_EXCEPTION(set_edges(d, xt::xtensor<int, 2>({{0, 1}, {2, 3}})), DataError,
                        has("gatgrad::set_edges: edge_index: edge 1: target 3 is out of range [0, 3)"));
  BOOST_CHECK_EXCEPTION(set_edges(d, xt::xtensor<int, 2>({{0, 1, 2}})), DataError,
                        has("gatgrad::set_edges: edge_index: shape [1, 3], expected [2, E] (row 0 sources, row 1 targets)"));
  BOOST_CHECK_EXCEPTION(set_labels(d, xt::xtensor<int, 1>({0, 1})), DataError,
                        has("gatgrad::set_labels: y: 2 rows, but the dataset has 3 nodes (from its features)"));
  BOOST_CHECK_EXCEPTION(set_labels(d, xt::xtensor<int, 1>({0, 4, 1}), 3), DataError,
                        has("gatgrad::set_labels: y: node 1: class 4 is out of range [0, 3)"));
  BOOST_CHECK_EXCEPTION(set_labels(d, xt::xtensor<int, 2>({{0, 2}, {1, 1}, {0, 0}})), DataError,
                        has("gatgrad::set_labels: y: target [0, 1] is 2, not 0 or 1"));
  const xt::xtensor<int, 1> ok = {1, 0, 0}, bad = {0, 2, 0};
  BOOST_CHECK_EXCEPTION(set_masks(d, ok, bad, ok), DataError, has("gatgrad::set_masks: val_mask: node 1 is 2, not 0 or 1"));
  BOOST_TEST(d.val_mask.empty());  // nothing set when a mask is refused
}
