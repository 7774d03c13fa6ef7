// load_dataset on the shared datasets (Cora, Amazon Photo) and on small broken dataset directories.
// To add a broken-file case: start from ValidDataset, change one array (or corrupt one file's
// bytes after write()), then BOOST_CHECK_EXCEPTION(load_dataset(dir), DataError, message_has({...})).
#define BOOST_TEST_MODULE dataset
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include "autograd/error.hpp"
#include "autograd/tape.hpp"
#include "graph/features.hpp"
#include "graph/load_dataset.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

// testing.hpp's TinyDataset with row 2 of x all zero (row normalisation must leave it zero).
struct ValidDataset : TinyDataset {
  ValidDataset() { x[2 * 4 + 3] = 0; }
  void write(const TempDir& dir) const { TinyDataset::write(dir.str()); }
};

// Writes `d` into a fresh directory and checks that loading it fails naming `file` and `words`.
void expect_failure(const ValidDataset& d, const std::string& file, std::initializer_list<std::string> words) {
  TempDir dir;
  d.write(dir);
  std::vector<std::string> all(words);
  all.push_back(dir / file);
  for (const std::string& w : all) BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({w}));
}

// Options that keep a float32 x.npy as it is (mapped when it can be: never normalised, never
// made sparse).
LoadOptions features_as_they_are() {
  LoadOptions o;
  o.map_features = true;
  o.normalize_features = false;
  o.sparse_threshold = 0.0;
  return o;
}

}  // namespace

// ---------------------------------------------------------------- the shared datasets

BOOST_AUTO_TEST_CASE(cora, *utf::precondition(HasDataset{"cora"})) {
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = load_dataset(dataset_dir("cora"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("loading Cora took " << seconds * 1000 << " ms");  // speed: gat-bench, not here
  BOOST_TEST(d.name == "cora");
  BOOST_TEST(d.num_nodes == 2708);
  BOOST_TEST(d.num_features == 1433);
  BOOST_TEST(d.num_classes == 7);
  BOOST_TEST(!d.multilabel);
  BOOST_TEST(d.num_edges() == 10556);
  BOOST_TEST(std::count(d.train_mask.begin(), d.train_mask.end(), 1) == 140);
  BOOST_TEST(std::count(d.val_mask.begin(), d.val_mask.end(), 1) == 500);
  BOOST_TEST(std::count(d.test_mask.begin(), d.test_mask.end(), 1) == 1000);
  BOOST_TEST(d.x_is_sparse);  // 98.7% zeros
  BOOST_TEST(d.x_dense.empty());
  BOOST_TEST(d.x_sparse.nnz() == 49216);
  BOOST_TEST(d.features_normalized);

  const CsrMatrix& x = d.x_sparse;
  int64_t bad_rows = 0;
  for (int64_t r = 0; r < x.rows; ++r) {
    double sum = 0;
    for (int64_t k = x.indptr[r]; k < x.indptr[r + 1]; ++k) sum += x.values[k];
    bad_rows += !(std::abs(sum - 1.0) < 1e-5 || sum == 0.0);
  }
  BOOST_TEST(bad_rows == 0, bad_rows << " rows do not sum to 1 or 0");
  // Known values: labels, first edges, node 0's nine words (each 1/9 after normalisation).
  BOOST_TEST((std::vector<int64_t>(d.y.begin(), d.y.begin() + 6) == std::vector<int64_t>{3, 4, 4, 0, 3, 2}));
  BOOST_TEST((std::vector<int32_t>(d.src.begin(), d.src.begin() + 4) == std::vector<int32_t>{0, 0, 0, 1}));
  BOOST_TEST((std::vector<int32_t>(d.dst.begin(), d.dst.begin() + 4) == std::vector<int32_t>{633, 1862, 2582, 2}));
  BOOST_TEST(x.indptr[1] == 9);
  BOOST_TEST((std::vector<int32_t>(x.indices.begin(), x.indices.begin() + 9) ==
              std::vector<int32_t>{19, 81, 146, 315, 774, 877, 1194, 1247, 1274}));
  for (int k = 0; k < 9; ++k) BOOST_TEST(x.values[k] == 1.0f / 9.0f);
}

BOOST_AUTO_TEST_CASE(cora_dense_and_sparse_agree, *utf::precondition(HasDataset{"cora"})) {
  LoadOptions dense_opts;
  dense_opts.sparse_threshold = 0.0;  // density 0.0127 > 0: dense
  const Dataset dense = load_dataset(dataset_dir("cora"), dense_opts);
  const Dataset sparse = load_dataset(dataset_dir("cora"));
  BOOST_TEST(!dense.x_is_sparse);
  BOOST_TEST(dense.x_sparse.nnz() == 0);
  BOOST_TEST((csr_to_dense(sparse.x_sparse) == dense.x_dense));  // bit for bit

  LoadOptions raw;
  raw.normalize_features = false;
  const Dataset r = load_dataset(dataset_dir("cora"), raw);
  BOOST_TEST(!r.features_normalized);
  BOOST_TEST(std::count(r.x_sparse.values.begin(), r.x_sparse.values.end(), 1.0f) == r.x_sparse.nnz());  // 0/1 words
}

BOOST_AUTO_TEST_CASE(amazon_photo, *utf::precondition(HasDataset{"amazon-photo"})) {
  const Dataset d = load_dataset(dataset_dir("amazon-photo"));
  BOOST_TEST(d.num_nodes == 7650);
  BOOST_TEST(d.num_features == 745);
  BOOST_TEST(d.num_edges() == 238162);
  BOOST_TEST(d.num_classes == 8);
  BOOST_TEST(!d.x_is_sparse);  // x.npz holds 34.7% nonzeros: above the 0.1 threshold
  std::map<int64_t, int> train, val;
  int64_t test = 0, both = 0;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    train[d.y[i]] += d.train_mask[i];
    val[d.y[i]] += d.val_mask[i];
    test += d.test_mask[i];
    both += d.train_mask[i] + d.val_mask[i] + d.test_mask[i] > 1;
  }
  for (int64_t c = 0; c < 8; ++c) {
    BOOST_TEST(train[c] == 20, "class " << c);
    BOOST_TEST(val[c] == 30, "class " << c);
  }
  BOOST_TEST(test == 7650 - 160 - 240);
  BOOST_TEST(both == 0);
  int64_t bad_rows = 0;
  for (int64_t r = 0; r < d.num_nodes; ++r) {
    double sum = 0;
    for (int64_t j = 0; j < d.num_features; ++j) sum += d.x_dense[r * d.num_features + j];
    bad_rows += !(std::abs(sum - 1.0) < 1e-5);  // every product has at least one word
  }
  BOOST_TEST(bad_rows == 0);
}

// ---------------------------------------------------------------- small valid variants

BOOST_AUTO_TEST_CASE(valid_small_dataset_dense_and_npz_agree) {
  TempDir dir;
  ValidDataset v;
  v.write(dir);
  LoadOptions dense_opts;
  dense_opts.sparse_threshold = 0.0;
  const Dataset d = load_dataset(dir.str(), dense_opts);
  BOOST_TEST(d.num_nodes == 6);
  BOOST_TEST(d.num_classes == 3);
  BOOST_TEST(d.num_edges() == 8);
  BOOST_TEST(!d.x_is_sparse);
  // x / max(row sum, 1): row 4 sums to 0.5, so it stays; row 5 sums to 4.
  const std::vector<float> want = {0.5f, 0, 0, 0.5f, 0, 1, 0, 0, 0, 0, 0, 0, 0.75f, 0.25f, 0, 0,
                                   0, 0, 0.5f, 0, 0.25f, 0.25f, 0.25f, 0.25f};
  BOOST_TEST(d.x_dense == want, boost::test_tools::per_element());

  // The same features as a scipy CSR x.npz (int32 indptr/indices like scipy) load identically.
  const CsrMatrix m = dense_to_csr(v.x, v.n, v.f);
  const std::vector<int32_t> indptr(m.indptr.begin(), m.indptr.end());
  const int64_t shape[2] = {v.n, v.f};
  fs::remove(dir / "x.npy");
  save_npz(dir / "x.npz", {{"indices", make_npy("<i4", m.indices.data(), {m.nnz()})},
                           {"indptr", make_npy("<i4", indptr.data(), {v.n + 1})},
                           {"format", make_npy("|S3", "csr", {})},
                           {"shape", make_npy("<i8", shape, {2})},
                           {"data", make_npy("<f4", m.values.data(), {m.nnz()})}});
  const Dataset s = load_dataset(dir.str());  // density 10/24 > 0.1: dense
  BOOST_TEST(s.x_dense == want, boost::test_tools::per_element());
  LoadOptions sparse_opts;
  sparse_opts.sparse_threshold = 1.0;
  const Dataset sp = load_dataset(dir.str(), sparse_opts);
  BOOST_TEST(sp.x_is_sparse);
  BOOST_TEST(csr_to_dense(sp.x_sparse) == want, boost::test_tools::per_element());
}

// The logits of an untrained GAT (fixed seed, eval mode) on the dataset in `dir`.
std::vector<float> gat_logits(const std::string& dir, const LoadOptions& opts) {
  const Dataset d = load_dataset(dir, opts);
  const NodeData data = prepare_node_data(d, true);
  GATConfig c;
  c.in_features = d.num_features;
  c.num_classes = d.num_classes;
  c.seed = 3;
  GAT model(c);
  model.eval();
  NoGradGuard no_grad;
  const Tensor logits = model.forward(data.x, data.graph);
  return std::vector<float>(logits.data<float>(), logits.data<float>() + logits.numel());
}

// scipy's COO and CSC files of the same features give the CSR file's logits to the bit, dense
// or sparse: entries in any order, and a value stored twice at one (row, col) read as its sum.
BOOST_AUTO_TEST_CASE(coo_and_csc_npz_give_the_logits_of_csr) {
  TempDir dir;
  ValidDataset v;
  v.write(dir);
  fs::remove(dir / "x.npz");
  fs::remove(dir / "x.npy");
  const CsrMatrix m = dense_to_csr(v.x, v.n, v.f);
  const int64_t shape[2] = {v.n, v.f};
  const std::vector<int32_t> indptr(m.indptr.begin(), m.indptr.end());
  save_npz(dir / "x.npz", {{"indices", make_npy("<i4", m.indices.data(), {m.nnz()})},
                           {"indptr", make_npy("<i4", indptr.data(), {v.n + 1})},
                           {"format", make_npy("|S3", "csr", {})},
                           {"shape", make_npy("<i8", shape, {2})},
                           {"data", make_npy("<f4", m.values.data(), {m.nnz()})}});
  LoadOptions sparse;
  sparse.sparse_threshold = 1.0;
  const std::vector<float> csr_dense = gat_logits(dir.str(), {}), csr_sparse = gat_logits(dir.str(), sparse);

  // COO: the entries in reverse order, the first one split into two halves.
  std::vector<int64_t> row, col;
  std::vector<float> data;
  for (int64_t r = v.n - 1; r >= 0; --r) {
    for (int64_t k = m.indptr[r + 1] - 1; k >= m.indptr[r]; --k) {
      const bool split = r == 0 && k == 0;
      for (int part = 0; part < (split ? 2 : 1); ++part) {
        row.push_back(r);
        col.push_back(m.indices[k]);
        data.push_back(split ? m.values[k] / 2 : m.values[k]);
      }
    }
  }
  BOOST_REQUIRE(m.values[0] / 2 + m.values[0] / 2 == m.values[0]);
  const int64_t nnz = static_cast<int64_t>(data.size());
  save_npz(dir / "x.npz", {{"row", make_npy("<i8", row.data(), {nnz})},
                           {"col", make_npy("<i8", col.data(), {nnz})},
                           {"format", make_npy("|S3", "coo", {})},
                           {"shape", make_npy("<i8", shape, {2})},
                           {"data", make_npy("<f4", data.data(), {nnz})}});
  const std::vector<float> coo_dense = gat_logits(dir.str(), {}), coo_sparse = gat_logits(dir.str(), sparse);

  // CSC: column by column.
  std::vector<int64_t> csc_indptr = {0}, csc_rows;
  std::vector<float> csc_data;
  for (int64_t c = 0; c < v.f; ++c) {
    for (int64_t r = 0; r < v.n; ++r) {
      if (v.x[r * v.f + c] == 0) continue;
      csc_rows.push_back(r);
      csc_data.push_back(v.x[r * v.f + c]);
    }
    csc_indptr.push_back(static_cast<int64_t>(csc_rows.size()));
  }
  save_npz(dir / "x.npz", {{"indices", make_npy("<i8", csc_rows.data(), {m.nnz()})},
                           {"indptr", make_npy("<i8", csc_indptr.data(), {v.f + 1})},
                           {"format", make_npy("<U3", U"csc", {})},
                           {"shape", make_npy("<i8", shape, {2})},
                           {"data", make_npy("<f4", csc_data.data(), {m.nnz()})}});
  const std::vector<float> csc_dense = gat_logits(dir.str(), {}), csc_sparse = gat_logits(dir.str(), sparse);

  auto same_bits = [](const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  };
  BOOST_TEST(csr_dense.size() == static_cast<size_t>(v.n * 3));
  BOOST_TEST(same_bits(coo_dense, csr_dense));
  BOOST_TEST(same_bits(csc_dense, csr_dense));
  BOOST_TEST(same_bits(coo_sparse, csr_sparse));
  BOOST_TEST(same_bits(csc_sparse, csr_sparse));
}

// A float32 x.npy used as it is is mapped, not copied (np.load(..., mmap_mode='r')); any
// transformation of it (here row normalisation) reads it into x_dense instead.
BOOST_AUTO_TEST_CASE(float32_features_used_as_they_are_are_mapped_not_copied) {
  TempDir dir;
  ValidDataset v;
  v.write(dir);
  const LoadOptions as_is = features_as_they_are();
  const Dataset mapped = load_dataset(dir.str(), as_is);
  BOOST_TEST(mapped.x_mapped.defined());
  BOOST_TEST(mapped.x_dense.empty());
  const std::span<const float> values = mapped.dense_values();
  BOOST_TEST(std::vector<float>(values.begin(), values.end()) == v.x, boost::test_tools::per_element());

  LoadOptions copied = as_is;
  copied.map_features = false;
  const Dataset read = load_dataset(dir.str(), copied);
  BOOST_TEST(!read.x_mapped.defined());
  BOOST_TEST(read.x_dense == v.x, boost::test_tools::per_element());

  LoadOptions normalised = as_is;
  normalised.normalize_features = true;
  const Dataset changed = load_dataset(dir.str(), normalised);
  BOOST_TEST(!changed.x_mapped.defined());
  BOOST_TEST(changed.x_dense.size() == v.x.size());
  BOOST_TEST(changed.x_dense[1 * 4 + 1] == 1.0f);  // row 1 = (0, 2, 0, 0) / 2
}

// An x.npy whose data starts 16 bytes past a cache line (NumPy before 1.14 padded headers to 16
// bytes) is mapped too, and the model reads it to the same bits as a copy in gatgrad's own
// 64-byte aligned memory: no kernel assumes more than a float's alignment (Tensor::can_borrow).
BOOST_AUTO_TEST_CASE(features_16_bytes_past_a_cache_line_are_mapped_and_give_the_copys_bits) {
  TempDir dir;
  ValidDataset v;
  v.f = 37;  // rows of whole SIMD registers and a tail, each starting anywhere
  v.x.resize(static_cast<size_t>(v.n * v.f));
  for (size_t i = 0; i < v.x.size(); ++i) v.x[i] = static_cast<float>((i * 7919) % 13) / 4.0f;
  v.write(dir);
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(v.n) + ", " +
                       std::to_string(v.f) + "), }";
  while ((10 + header.size() + 1) % 64 != 16) header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(v.x.data()), v.x.size() * sizeof(float));
  write_file(dir / "x.npy", bytes);
  const LoadOptions as_is = features_as_they_are();
  const Dataset mapped = load_dataset(dir.str(), as_is);
  BOOST_REQUIRE(mapped.x_mapped.defined());
  BOOST_TEST(reinterpret_cast<uintptr_t>(mapped.x_mapped.data) % 64 == 16u);
  LoadOptions copied = as_is;
  copied.map_features = false;
  const std::vector<float> a = gat_logits(dir.str(), as_is), b = gat_logits(dir.str(), copied);
  BOOST_TEST((a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0));
  // Memory not aligned to its element is refused by name, never read as a tensor.
  const std::vector<float> storage(8, 1.0f);
  const auto owner = std::make_shared<int>(0);
  BOOST_CHECK_EXCEPTION(Tensor::from_external(reinterpret_cast<const char*>(storage.data()) + 2, {4}, DType::f32, owner),
                        Error, message_has({"not aligned", "float32"}));
}

BOOST_AUTO_TEST_CASE(other_dtypes_and_multilabel_targets) {
  TempDir dir;
  ValidDataset v;
  v.write(dir);
  const std::vector<int32_t> y32(v.y.begin(), v.y.end()), e32(v.edges.begin(), v.edges.end());
  const std::vector<double> x64(v.x.begin(), v.x.end());
  save_npy(dir / "y.npy", y32.data(), {6});
  save_npy(dir / "edge_index.npy", e32.data(), {2, 8});
  save_npy(dir / "x.npy", x64.data(), {6, 4});
  const Dataset d = load_dataset(dir.str());
  BOOST_TEST(d.y == v.y);
  BOOST_TEST(d.dst[7] == 2);

  const std::vector<int64_t> multi = {1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0};  // [6, 3]
  save_npy(dir / "y.npy", multi.data(), {6, 3});
  const Dataset m = load_dataset(dir.str());
  BOOST_TEST(m.multilabel);
  BOOST_TEST(m.num_classes == 3);
  BOOST_TEST(m.y == multi);
}

// ---------------------------------------------------------------- broken directories

BOOST_AUTO_TEST_CASE(missing_files) {
  for (const char* file : {"x.npy", "y.npy", "edge_index.npy", "train_mask.npy", "val_mask.npy", "test_mask.npy"}) {
    TempDir dir;
    ValidDataset().write(dir);
    fs::remove(dir / file);
    BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({dir / file, "missing file"}));
  }
  TempDir dir;
  ValidDataset().write(dir);
  fs::remove(dir / "x.npy");
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({"looked for", dir / "x.npz"}));
}

BOOST_AUTO_TEST_CASE(broken_file_bytes) {
  for (const BrokenFile& c : broken_npy_cases()) {
    TempDir dir;
    ValidDataset().write(dir);
    c.corrupt(dir / c.file);
    for (const std::string& w : c.words)
      BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({dir / c.file, w}));
  }
}

BOOST_AUTO_TEST_CASE(wrong_dtypes) {
  TempDir dir;
  ValidDataset v;
  v.write(dir);
  save_npy(dir / "y.npy", v.x.data(), {6});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({dir / "y.npy", "integer", "<f4"}));
  v.write(dir);
  save_npy(dir / "x.npy", v.edges.data(), {6, 2});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({dir / "x.npy", "float32 or float64", "<i8"}));
  v.write(dir);
  const std::vector<int64_t> two = {1, 0, 2, 0, 0, 0};
  save_npy(dir / "test_mask.npy", two.data(), {6});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({dir / "test_mask.npy", "not 0 or 1"}));
}

BOOST_AUTO_TEST_CASE(node_counts_that_disagree) {
  ValidDataset v;
  v.y.pop_back();
  expect_failure(v, "y.npy", {"has 5 rows", "x.npy has 6", "must agree"});
  v = ValidDataset();
  v.val.push_back(0);
  expect_failure(v, "val_mask.npy", {"mask of length 7", "x.npy has 6"});
  v = ValidDataset();
  v.train.pop_back();
  expect_failure(v, "train_mask.npy", {"mask of length 5"});
}

BOOST_AUTO_TEST_CASE(bad_edges) {
  ValidDataset v;
  v.edges[3] = -1;  // source of edge 3
  expect_failure(v, "edge_index.npy", {"edge 3: source index -1 is negative"});
  v = ValidDataset();
  v.edges[8 + 5] = 6;  // target of edge 5
  expect_failure(v, "edge_index.npy", {"edge 5: target index 6 is out of range [0, 6)"});
  v = ValidDataset();
  v.edges.resize(12);  // 3 x 4 instead of 2 x E
  {
    TempDir dir;
    v.write(dir);
    save_npy(dir / "edge_index.npy", v.edges.data(), {3, 4});
    BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                          message_has({dir / "edge_index.npy", "expected shape (2, E)", "found (3, 4)"}));
    save_npy(dir / "edge_index.npy", v.edges.data(), {12});
    BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                          message_has({dir / "edge_index.npy", "expected shape (2, E)", "found (12,)"}));
  }
}

BOOST_AUTO_TEST_CASE(bad_labels) {
  ValidDataset v;
  v.y[1] = -2;
  expect_failure(v, "y.npy", {"label -2 of node 1 is negative"});
  v = ValidDataset();
  v.y[2] = 6;
  expect_failure(v, "y.npy", {"label 6 of node 2 is out of range [0, 6)"});
  TempDir dir;
  v = ValidDataset();
  v.write(dir);
  const std::vector<int64_t> multi = {1, 0, 2, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0};
  save_npy(dir / "y.npy", multi.data(), {6, 3});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                        message_has({dir / "y.npy", "multilabel target of node 0, class 2 is 2"}));
}

BOOST_AUTO_TEST_CASE(no_training_node) {
  ValidDataset v;
  v.train.assign(6, 0);
  expect_failure(v, "train_mask.npy", {"no training node"});
}

BOOST_AUTO_TEST_CASE(nan_and_inf_features) {
  ValidDataset v;
  v.x[2 * 4 + 3] = NAN;
  expect_failure(v, "x.npy", {"NaN", "row 2, column 3"});
  v = ValidDataset();
  v.x[4 * 4 + 0] = INFINITY;
  expect_failure(v, "x.npy", {"Inf", "row 4, column 0"});
  v = ValidDataset();
  v.x[1] = -INFINITY;
  expect_failure(v, "x.npy", {"-Inf", "row 0, column 1"});
}

BOOST_AUTO_TEST_CASE(zero_nodes) {
  ValidDataset v;
  v.n = 0;
  v.x.clear();
  v.y.clear();
  v.train.clear();
  v.val.clear();
  v.test.clear();
  v.edges.clear();
  expect_failure(v, "x.npy", {"zero nodes"});
}

BOOST_AUTO_TEST_CASE(corrupt_npz_features) {
  TempDir dir;
  ValidDataset().write(dir);
  fs::remove(dir / "x.npy");
  write_file(dir / "x.npz", "PK but not really a zip");
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({dir / "x.npz", "not a zip archive"}));
  const int64_t indptr[7] = {0, 2, 1, 3, 4, 5, 6}, indices[6] = {0, 1, 2, 3, 0, 1}, shape[2] = {6, 4};
  const float data[6] = {1, 1, 1, 1, 1, 1};
  save_npz(dir / "x.npz", {{"indices", make_npy("<i8", indices, {6})},
                           {"indptr", make_npy("<i8", indptr, {7})},
                           {"format", make_npy("|S3", "csr", {})},
                           {"shape", make_npy("<i8", shape, {2})},
                           {"data", make_npy("<f4", data, {6})}});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                        message_has({dir / "x.npz", "indptr.npy", "indptr[2] = 1 is below indptr[1] = 2"}));
  const int64_t shape5[2] = {5, 4}, indptr5[6] = {0, 1, 2, 3, 4, 6};
  save_npz(dir / "x.npz", {{"indices", make_npy("<i8", indices, {6})},
                           {"indptr", make_npy("<i8", indptr5, {6})},
                           {"format", make_npy("|S3", "csr", {})},
                           {"shape", make_npy("<i8", shape5, {2})},
                           {"data", make_npy("<f4", data, {6})}});
  BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                        message_has({dir / "y.npy", "has 6 rows but", dir / "x.npz", "has 5"}));
}
