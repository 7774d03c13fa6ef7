// Partition folders (dist/partition.hpp) against the single-process loader: what load_dataset
// accepts, gat-partition writes and every part loads again, holding the dataset's rows as one
// process holds them (CSR features as stored, edge features in the graph's edge order); a
// damaged part file is refused naming it.
// To add a test: partition TinyDataset (tests/testing.hpp) with files of your own with
// partitioned(), and compare load_partition's parts with the dataset or its NodeData.
#define BOOST_TEST_MODULE partition
#include <boost/test/unit_test.hpp>

#include <limits>
#include <utility>

#include "dist/partition.hpp"
#include "graph/load_dataset.hpp"
#include "io/npz.hpp"
#include "models/node_data.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;

namespace {

// 6 x 40 features (sparse enough for the loader to keep them CSR) as a scipy CSR x.npz whose
// rows list columns out of order and twice (a legal file: scipy's products sum the repeats),
// instead of TinyDataset's x.npy.
void write_unsorted_csr(const std::string& dir) {
  const int32_t indptr[7] = {0, 3, 4, 6, 8, 9, 13};
  const int32_t indices[13] = {30, 0, 30, 10, 39, 39, 17, 5, 20, 31, 12, 0, 22};
  const float data[13] = {0.5f, 1, 0.5f, 2, 0.25f, 0.75f, 1, 3, 0.5f, 1, 1, 1, 1};
  const int64_t shape[2] = {6, 40};
  fs::remove(fs::path(dir) / "x.npy");
  save_npz((fs::path(dir) / "x.npz").string(), {{"indices", make_npy("<i4", indices, {13})},
                                                {"indptr", make_npy("<i4", indptr, {7})},
                                                {"format", make_npy("|S3", "csr", {})},
                                                {"shape", make_npy("<i8", shape, {2})},
                                                {"data", make_npy("<f4", data, {13})}});
}

// 2 features per edge of TinyDataset's 8 (edge k: k + 0.5, -k).
void write_edge_features(const std::string& dir) {
  std::vector<float> attr;
  for (int k = 0; k < 8; ++k) attr.insert(attr.end(), {static_cast<float>(k) + 0.5f, -static_cast<float>(k)});
  save_npy((fs::path(dir) / "edge_attr.npy").string(), attr.data(), {8, 2});
}

// TinyDataset written to dir/data with `add`'s files, loaded as gat-partition reads it (not
// normalised) and cut into 2 parts by METIS in dir/parts.
Dataset partitioned(const TempDir& dir, void (*add)(const std::string&)) {
  TinyDataset().write(dir / "data");
  add(dir / "data");
  LoadOptions lo;
  lo.normalize_features = false;
  const Dataset d = load_dataset(dir / "data", lo);
  dist::write_partitions(d, dist::metis_partition(d, 2, 1), dir / "parts", dist::PartitionSource{"data", {}, 1});
  return d;
}

}  // namespace

// The loader keeps a CSR x.npz as stored; the parts hold each node's row exactly so (columns
// unsorted and repeated, values in order), and load.
BOOST_AUTO_TEST_CASE(csr_features_with_unsorted_and_repeated_columns_partition_and_load) {
  TempDir dir;
  const Dataset d = partitioned(dir, write_unsorted_csr);
  BOOST_TEST_REQUIRE(d.x_is_sparse);
  int64_t rows = 0;
  for (int32_t k = 0; k < 2; ++k) {
    const dist::LocalPart part = dist::load_partition(dir / "parts", k);
    const CsrMatrix& m = part.data.x_sparse;
    BOOST_TEST_REQUIRE(part.data.x_is_sparse);
    for (size_t i = 0; i < part.nodes.size(); ++i, ++rows) {
      const int64_t v = part.nodes[i];
      const auto [b, e] = std::pair{d.x_sparse.indptr[v], d.x_sparse.indptr[v + 1]};
      const std::vector<int32_t> want_cols(d.x_sparse.indices.begin() + b, d.x_sparse.indices.begin() + e);
      const std::vector<float> want_values(d.x_sparse.values.begin() + b, d.x_sparse.values.begin() + e);
      const std::vector<int32_t> cols(m.indices.begin() + m.indptr[i], m.indices.begin() + m.indptr[i + 1]);
      const std::vector<float> values(m.values.begin() + m.indptr[i], m.values.begin() + m.indptr[i + 1]);
      BOOST_TEST(cols == want_cols, "node " << v);
      BOOST_TEST(values == want_values, "node " << v);
    }
  }
  BOOST_TEST(rows == 6);
}

// A column out of range in a part's x_indices.npy is still refused, naming the file.
BOOST_AUTO_TEST_CASE(a_part_column_out_of_range_is_refused) {
  TempDir dir;
  partitioned(dir, write_unsorted_csr);
  const std::string path = dir / "parts/part-0/x_indices.npy";
  const std::vector<int64_t> stored = load_npy(path).to_int64();
  std::vector<int32_t> cols(stored.begin(), stored.end());
  cols.back() = 40;  // F = 40
  save_npy(path, cols.data(), {static_cast<int64_t>(cols.size())});
  BOOST_CHECK_EXCEPTION(dist::load_partition(dir / "parts", 0), DataError,
                        message_has({"part-0/x_indices.npy", "not a column in [0, 40)"}));
}

// Each part's edge_attr.npy holds, for each of its incoming edges, the row one process's
// NodeData::edge_attr (sampling) has for that edge.
BOOST_AUTO_TEST_CASE(edge_features_go_with_their_edges) {
  TempDir dir;
  const Dataset d = partitioned(dir, write_edge_features);
  const NodeData one = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
  const std::vector<double> want_d = one.edge_attr.to_vector();
  const std::vector<float> want(want_d.begin(), want_d.end());
  const std::span<const int64_t> ptr = one.graph.dst_ptr();
  int64_t edges = 0;
  for (int32_t k = 0; k < 2; ++k) {
    const dist::LocalPart part = dist::load_partition(dir / "parts", k);
    BOOST_TEST(part.meta.edge_dim == 2);
    for (size_t i = 0; i < part.nodes.size(); ++i) {
      const int64_t v = part.nodes[i];
      BOOST_TEST_REQUIRE(part.in_ptr[i + 1] - part.in_ptr[i] == ptr[v + 1] - ptr[v]);
      const std::vector<float> got(part.edge_attr.begin() + part.in_ptr[i] * 2, part.edge_attr.begin() + part.in_ptr[i + 1] * 2);
      const std::vector<float> rows(want.begin() + ptr[v] * 2, want.begin() + ptr[v + 1] * 2);
      BOOST_TEST(got == rows, "node " << v);
      edges += part.in_ptr[i + 1] - part.in_ptr[i];
    }
  }
  BOOST_TEST(edges == 8);
}

// A part's edge_attr.npy checked as the loader checks a dataset's: float32 of meta.json's
// shape, finite; an older folder without edge_dim has no edge features.
BOOST_AUTO_TEST_CASE(damaged_edge_features_are_refused_naming_the_file) {
  TempDir dir;
  partitioned(dir, write_edge_features);
  const std::string path = dir / "parts/part-1/edge_attr.npy";
  const NpyArray good = load_npy(path);
  const int64_t E = good.shape[0];
  std::vector<float> v = good.to_float();
  v[1] = std::numeric_limits<float>::quiet_NaN();
  save_npy(path, v.data(), {E, 2});
  BOOST_CHECK_EXCEPTION(dist::load_partition(dir / "parts", 1), DataError,
                        message_has({"part-1/edge_attr.npy", "NaN or infinite", "edge 0, column 1"}));
  save_npy(path, v.data(), {E * 2});
  BOOST_CHECK_EXCEPTION(dist::load_partition(dir / "parts", 1), DataError,
                        message_has({"part-1/edge_attr.npy", "shape"}));
  const std::vector<double> wide(v.begin(), v.end());
  save_npy(path, wide.data(), {E, 2});
  BOOST_CHECK_EXCEPTION(dist::load_partition(dir / "parts", 1), DataError,
                        message_has({"part-1/edge_attr.npy", "float32"}));
  fs::remove(path);
  BOOST_CHECK_EXCEPTION(dist::load_partition(dir / "parts", 1), DataError, message_has({"part-1/edge_attr.npy"}));
  patch_file(dir / "parts/meta.json", "\"edge_dim\": 2", "\"edge_ddd\": 2");
  BOOST_TEST(dist::load_partition(dir / "parts", 1).meta.edge_dim == 0);
}
