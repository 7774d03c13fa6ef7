// To add a test: write a BOOST_AUTO_TEST_CASE(name) below (random_csr makes a matrix with empty
// rows and columns, dense_ref the float64 reference of tests/reference.hpp); ctest runs it as part of test_spmm.
#define BOOST_TEST_MODULE spmm
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "autograd/kernels/spmm.hpp"
#include "autograd/ops.hpp"
#include "autograd/sparse.hpp"
#include "autograd/sparse_ops.hpp"
#include "reference.hpp"

using gatgrad::CsrMatrix;
using namespace gatgrad::kernels;
namespace ref = gatgrad::reference;

namespace {

// Random CSR [rows, cols] with the given density; every 5th row and every 7th column are empty,
// and column indices within a row are increasing.
CsrMatrix random_csr(int64_t rows, int64_t cols, double density, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_real_distribution<float> v(-1.0f, 1.0f);
  CsrMatrix A;
  A.rows = rows;
  A.cols = cols;
  A.indptr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    if (r % 5 != 3)
      for (int64_t c = 0; c < cols; ++c)
        if (c % 7 != 2 && u(rng) < density) {
          A.indices.push_back(static_cast<int32_t>(c));
          A.values.push_back(v(rng));
        }
    A.indptr.push_back(static_cast<int64_t>(A.values.size()));
  }
  return A;
}

template <class T>
std::vector<T> random_dense(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> x(static_cast<size_t>(n));
  for (T& e : x) e = static_cast<T>(u(rng));
  return x;
}

// The dense float64 reference (tests/reference.hpp): op(A) · B with op(A) = A or Aᵀ, and its
// magnitude |op(A)| · |B| (the error bound).   B [op(A) cols, n]
template <class T>
ref::Product dense_ref(const CsrMatrix& A, bool transpose, const std::vector<T>& B, int64_t n) {
  return ref::sparse_product(A, transpose, std::vector<double>(B.begin(), B.end()), n);
}

// got ≈ base + ref element-wise (base empty: plain), tolerance from the row length bound.
template <class T>
void check_close(const std::vector<T>& got, const ref::Product& want, const std::vector<T>& base, int64_t max_terms,
                 const std::string& what) {
  BOOST_REQUIRE_EQUAL(got.size(), want.value.size());
  const double eps = std::numeric_limits<T>::epsilon();
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i) {
    const double b = base.empty() ? 0.0 : static_cast<double>(base[i]);
    const double expected = b + want.value[i];
    const double tol = (2.0 * static_cast<double>(max_terms) + 4.0) * eps * (want.magnitude[i] + std::fabs(b));
    if (!(std::fabs(static_cast<double>(got[i]) - expected) <= tol)) {
      ++bad;
      BOOST_ERROR(what << ": element " << i << " = " << got[i] << ", want " << expected);
    }
  }
}

int64_t max_row_length(const CsrMatrix& A) {
  int64_t m = 0;
  for (int64_t r = 0; r < A.rows; ++r)
    m = std::max(m, A.indptr[static_cast<size_t>(r) + 1] - A.indptr[static_cast<size_t>(r)]);
  return m;
}

template <class T>
bool bit_equal(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0);
}

template <class T>
void check_spmm_against_dense(uint64_t seed) {
  const CsrMatrix A = random_csr(97, 61, 0.15, seed);
  const CsrTranspose At = csr_transpose(A);
  const int64_t terms = std::max(max_row_length(A), max_row_length(At.t));
  for (int64_t n : {1, 3, 8, 13, 16, 33, 64, 67, 130}) {
    const std::string tag = std::string(sizeof(T) == 4 ? "float" : "double") + " n=" + std::to_string(n);
    // Y = A · B and Y += A · B
    const std::vector<T> B = random_dense<T>(A.cols * n, seed + 1);
    const ref::Product product = dense_ref(A, false, B, n);
    std::vector<T> Y(static_cast<size_t>(A.rows * n), std::numeric_limits<T>::quiet_NaN());
    spmm<T>(A, B.data(), n, Y.data(), false);
    check_close<T>(Y, product, {}, terms, "spmm " + tag);
    const std::vector<T> Y0 = random_dense<T>(A.rows * n, seed + 2);
    std::vector<T> Yacc = Y0;
    spmm<T>(A, B.data(), n, Yacc.data(), true);
    check_close<T>(Yacc, product, Y0, terms, "spmm accumulate " + tag);
    // accumulate is exactly Y0 + (the non-accumulated product)
    std::vector<T> sum(Y0.size());
    for (size_t i = 0; i < sum.size(); ++i) sum[i] = Y0[i] + Y[i];
    BOOST_CHECK(bit_equal(sum, Yacc));

    // dW = Aᵀ · G and dW += Aᵀ · G through the transpose
    const std::vector<T> G = random_dense<T>(A.rows * n, seed + 3);
    const ref::Product transposed = dense_ref(A, true, G, n);
    std::vector<T> dW(static_cast<size_t>(A.cols * n), std::numeric_limits<T>::quiet_NaN());
    spmm<T>(At.t, G.data(), n, dW.data(), false);
    check_close<T>(dW, transposed, {}, terms, "transposed spmm " + tag);
    const std::vector<T> W0 = random_dense<T>(A.cols * n, seed + 4);
    std::vector<T> dWacc = W0;
    spmm<T>(At.t, G.data(), n, dWacc.data(), true);
    check_close<T>(dWacc, transposed, W0, terms, "transposed spmm accumulate " + tag);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(spmm_matches_dense_float) { check_spmm_against_dense<float>(11); }

BOOST_AUTO_TEST_CASE(spmm_matches_dense_double) { check_spmm_against_dense<double>(12); }

BOOST_AUTO_TEST_CASE(transpose_structure) {
  const CsrMatrix A = random_csr(53, 40, 0.2, 21);
  const CsrTranspose T = csr_transpose(A);
  BOOST_CHECK_EQUAL(T.t.rows, A.cols);
  BOOST_CHECK_EQUAL(T.t.cols, A.rows);
  BOOST_REQUIRE_EQUAL(T.t.nnz(), A.nnz());
  BOOST_REQUIRE_EQUAL(static_cast<int64_t>(T.perm.size()), A.nnz());
  BOOST_REQUIRE_EQUAL(static_cast<int64_t>(T.t.indptr.size()), A.cols + 1);
  BOOST_CHECK_EQUAL(T.t.indptr.front(), 0);
  // Row of A owning each stored value.
  std::vector<int64_t> row_of(static_cast<size_t>(A.nnz()));
  for (int64_t r = 0; r < A.rows; ++r)
    for (int64_t e = A.indptr[static_cast<size_t>(r)]; e < A.indptr[static_cast<size_t>(r) + 1]; ++e)
      row_of[static_cast<size_t>(e)] = r;
  std::vector<int> seen(static_cast<size_t>(A.nnz()), 0);
  for (int64_t c = 0; c < A.cols; ++c) {
    const int64_t k0 = T.t.indptr[static_cast<size_t>(c)], k1 = T.t.indptr[static_cast<size_t>(c) + 1];
    if (c % 7 == 2) BOOST_CHECK_EQUAL(k1 - k0, 0);  // the empty columns of A
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t e = T.perm[static_cast<size_t>(k)];
      ++seen[static_cast<size_t>(e)];
      BOOST_CHECK_EQUAL(A.indices[static_cast<size_t>(e)], c);
      BOOST_CHECK_EQUAL(T.t.indices[static_cast<size_t>(k)], row_of[static_cast<size_t>(e)]);
      BOOST_CHECK_EQUAL(T.t.values[static_cast<size_t>(k)], A.values[static_cast<size_t>(e)]);
      if (k > k0)  // increasing row order within a column
        BOOST_CHECK_LT(T.t.indices[static_cast<size_t>(k) - 1], T.t.indices[static_cast<size_t>(k)]);
    }
  }
  BOOST_CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  // Transposing twice gives A back.
  const CsrTranspose TT = csr_transpose(T.t);
  BOOST_CHECK(TT.t.indptr == A.indptr);
  BOOST_CHECK(TT.t.indices == A.indices);
  BOOST_CHECK(TT.t.values == A.values);
}

BOOST_AUTO_TEST_CASE(refresh_values_after_changing_them) {
  CsrMatrix A = random_csr(120, 90, 0.1, 31);
  CsrTranspose T = csr_transpose(A);
  // Dropout-like change of the stored values: zero some, scale the others.
  std::mt19937 rng(7);
  for (float& v : A.values) v = (rng() % 3 == 0) ? 0.0f : v * 1.5f;
  csr_transpose_refresh_values(A, T);
  const CsrTranspose fresh = csr_transpose(A);
  BOOST_CHECK(T.t.indptr == fresh.t.indptr);
  BOOST_CHECK(T.t.indices == fresh.t.indices);
  BOOST_CHECK(T.t.values == fresh.t.values);
  BOOST_CHECK(T.perm == fresh.perm);
  // And the product with the refreshed transpose matches the dense reference.
  const int64_t n = 24;
  const std::vector<float> G = random_dense<float>(A.rows * n, 32);
  const ref::Product want = dense_ref(A, true, G, n);
  std::vector<float> dW(static_cast<size_t>(A.cols * n));
  spmm<float>(T.t, G.data(), n, dW.data(), false);
  check_close<float>(dW, want, {}, max_row_length(T.t), "refreshed transpose");
  // A structure mismatch is an error.
  A.values.push_back(1.0f);
  A.indices.push_back(0);
  A.indptr.back() += 1;
  BOOST_CHECK_THROW(csr_transpose_refresh_values(A, T), std::exception);
}

BOOST_AUTO_TEST_CASE(empty_and_degenerate) {
  CsrMatrix empty;
  empty.rows = 4;
  empty.cols = 3;
  empty.indptr.assign(5, 0);
  std::vector<float> B(3 * 5, 1.0f), Y(4 * 5, std::numeric_limits<float>::quiet_NaN());
  spmm<float>(empty, B.data(), 5, Y.data(), false);
  for (float y : Y) BOOST_CHECK_EQUAL(y, 0.0f);
  const CsrTranspose T = csr_transpose(empty);
  BOOST_CHECK_EQUAL(T.t.rows, 3);
  BOOST_CHECK_EQUAL(T.t.nnz(), 0);
  CsrMatrix broken = empty;
  broken.indptr.pop_back();
  BOOST_CHECK_THROW(spmm<float>(broken, B.data(), 5, Y.data(), false), std::exception);
  BOOST_CHECK_THROW(csr_transpose(broken), std::exception);
}

BOOST_AUTO_TEST_CASE(bit_identical_for_any_thread_count) {
  // Cora-like: 2708 × 1433 at ~1.3 % density, 64 output columns, plus an odd width.
  const CsrMatrix A = random_csr(2708, 1433, 0.013, 41);
  const CsrTranspose At = csr_transpose(A);
  const int hw = std::max(2, tbb::this_task_arena::max_concurrency());
  for (int64_t n : {64, 37}) {
    const std::vector<float> B = random_dense<float>(A.cols * n, 42);
    const std::vector<float> G = random_dense<float>(A.rows * n, 43);
    std::vector<std::vector<float>> Y, dW;
    for (int threads : {1, 2, hw}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                static_cast<size_t>(threads));
      Y.emplace_back(static_cast<size_t>(A.rows * n), 0.5f);
      spmm<float>(A, B.data(), n, Y.back().data(), true);
      dW.emplace_back(static_cast<size_t>(A.cols * n));
      spmm<float>(At.t, G.data(), n, dW.back().data(), false);
    }
    BOOST_CHECK(bit_equal(Y[0], Y[1]));
    BOOST_CHECK(bit_equal(Y[0], Y[2]));
    BOOST_CHECK(bit_equal(dW[0], dW[1]));
    BOOST_CHECK(bit_equal(dW[0], dW[2]));
    // Double too.
    const std::vector<double> Bd = random_dense<double>(A.cols * n, 44);
    std::vector<double> y1(static_cast<size_t>(A.rows * n)), y2(y1.size());
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
      spmm<double>(A, Bd.data(), n, y1.data(), false);
    }
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
      spmm<double>(A, Bd.data(), n, y2.data(), false);
    }
    BOOST_CHECK(bit_equal(y1, y2));
  }
}

// ---- sparse_dropout: dropout's mask on the stored values; its matrices reused in steady state ----

BOOST_AUTO_TEST_CASE(sparse_dropout_is_dropout_on_the_stored_values) {
  const gatgrad::SparseFeatures x(random_csr(300, 200, 0.05, 41));
  const std::vector<float>& v = x.matrix().values;
  const gatgrad::Tensor values =
      gatgrad::Tensor::from_vector(std::vector<double>(v.begin(), v.end()), {x.nnz()}, gatgrad::DType::f32);
  const gatgrad::SparseFeatures d = gatgrad::sparse_dropout(x, 0.6, 1234);
  const std::vector<double> want = gatgrad::dropout(values, 0.6, 1234).to_vector();
  BOOST_REQUIRE_EQUAL(d.nnz(), x.nnz());
  int64_t kept = 0;
  for (int64_t k = 0; k < x.nnz(); ++k) {
    BOOST_TEST(d.matrix().values[static_cast<size_t>(k)] == static_cast<float>(want[static_cast<size_t>(k)]));
    kept += d.matrix().values[static_cast<size_t>(k)] != 0.0f;
  }
  BOOST_TEST(kept > x.nnz() / 4);  // about 40% kept
  BOOST_TEST(kept < x.nnz() / 2 + x.nnz() / 10);
  // The transpose holds the same values, and the structure is the original's.
  for (int64_t k = 0; k < x.nnz(); ++k)
    BOOST_TEST(d.transposed().values[static_cast<size_t>(k)] ==
               d.matrix().values[static_cast<size_t>(x.transpose_perm()[static_cast<size_t>(k)])]);
  BOOST_TEST((d.matrix().indices == x.matrix().indices));
  BOOST_TEST((d.transposed().indptr == x.transposed().indptr));
}

BOOST_AUTO_TEST_CASE(sparse_dropout_reuses_its_matrices_only_when_released) {
  const gatgrad::SparseFeatures x(random_csr(100, 80, 0.1, 42));
  gatgrad::SparseFeatures first = gatgrad::sparse_dropout(x, 0.5, 1);
  const std::vector<float> first_values = first.matrix().values;
  const float* first_storage = first.matrix().values.data();
  // Still held: a second draw gets other storage and leaves the first untouched.
  gatgrad::SparseFeatures second = gatgrad::sparse_dropout(x, 0.5, 2);
  BOOST_TEST(second.matrix().values.data() != first_storage);
  BOOST_TEST((first.matrix().values == first_values));
  BOOST_TEST((second.matrix().values != first_values));
  // Released (as a tape frees it after backward): the next draw writes into the same matrices.
  const float* second_storage = second.matrix().values.data();
  first = gatgrad::SparseFeatures();
  second = gatgrad::SparseFeatures();
  const gatgrad::SparseFeatures third = gatgrad::sparse_dropout(x, 0.5, 1);
  BOOST_TEST(third.matrix().values.data() == second_storage);
  BOOST_TEST((third.matrix().values == first_values));  // the same key, the same mask
}

namespace {
// ---- sparse_dropout_matmul: the composed ops' bits in fused passes ----

// y = sparse_dropout_matmul(x, 0.6, 99, w) + sparse_dropout_matmul(x, 0.3, 7, w) (the second adds
// into w's gradient) and the loss Σ r ⊙ y, fused or composed from sparse_dropout and sparse_matmul.
std::vector<std::vector<double>> dropout_product(bool fused, gatgrad::DType dtype, int threads) {
  using gatgrad::Tensor;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  const gatgrad::SparseFeatures x(random_csr(700, 300, 0.05, 43));  // ~22 tasks of rows, ~10 of xᵀ rows
  const std::vector<double> wv = random_dense<double>(300 * 40, 44), rv = random_dense<double>(700 * 40, 45);
  Tensor w = Tensor::from_vector(wv, {300, 40}, dtype);
  w.requires_grad_();
  const Tensor r = Tensor::from_vector(rv, {700, 40}, dtype);
  auto product = [&](double p, uint64_t key) {
    return fused ? gatgrad::sparse_dropout_matmul(x, p, key, w)
                 : gatgrad::sparse_matmul(gatgrad::sparse_dropout(x, p, key), w);
  };
  const Tensor y = product(0.6, 99) + product(0.3, 7);
  gatgrad::backward(gatgrad::sum(y * r));
  return {y.to_vector(), w.grad().to_vector()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(sparse_dropout_matmul_is_the_composed_ops_bit_for_bit) {
  for (gatgrad::DType dtype : {gatgrad::DType::f32, gatgrad::DType::f64})
    for (int threads : {1, 2}) {
      const auto fused = dropout_product(true, dtype, threads), composed = dropout_product(false, dtype, threads);
      BOOST_TEST_CONTEXT(gatgrad::dtype_name(dtype) << ", " << threads << " threads") {
        BOOST_TEST(fused[0].size() == size_t{700 * 40});
        BOOST_TEST(std::memcmp(fused[0].data(), composed[0].data(), fused[0].size() * sizeof(double)) == 0);
        BOOST_TEST(std::memcmp(fused[1].data(), composed[1].data(), fused[1].size() * sizeof(double)) == 0);
        BOOST_TEST(std::count(fused[1].begin(), fused[1].end(), 0.0) < 300 * 40 / 2);  // the gradient is there
      }
    }
  // p = 0 is the plain product
  const gatgrad::SparseFeatures x(random_csr(50, 30, 0.2, 46));
  const gatgrad::Tensor w = gatgrad::Tensor::from_vector(random_dense<double>(30 * 8, 47), {30, 8}, gatgrad::DType::f32);
  BOOST_TEST((gatgrad::sparse_dropout_matmul(x, 0.0, 1, w).to_vector() == gatgrad::sparse_matmul(x, w).to_vector()));
  BOOST_CHECK_THROW(gatgrad::sparse_dropout_matmul(x, 1.0, 1, w), gatgrad::Error);
}
