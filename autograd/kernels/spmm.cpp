// Sparse (CSR) × dense kernels; see spmm.hpp.
//
// Dimension legend
//   A     CSR matrix [rows, cols] with nnz stored values (float, cast to T)
//   n     columns of the dense operands
//   B     dense [cols, n], row-major;  Y  dense [rows, n], row-major
//
// Y[r, :] = Σ_{e in row r, CSR order} A.values[e] · B[A.indices[e], :]
// Rows are the active level's kernel (spmm_kernel.hpp): every output element is one fixed
// multiply-add chain over its row's entries, whatever the level or the thread count.
#include "autograd/kernels/spmm.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/error.hpp"
#include "autograd/kernels/table.hpp"
#include "autograd/parallel.hpp"

namespace gatgrad::kernels {
namespace {

// Problems with fewer multiply-adds than this run on the calling thread.
constexpr int64_t kSerialWork = int64_t{1} << 15;
// Multiply-adds per parallel chunk of rows (the grain).
constexpr int64_t kChunkWork = int64_t{1} << 14;

void check_csr(const CsrMatrix& A, const char* where) {
  if (A.rows < 0 || A.cols < 0 || static_cast<int64_t>(A.indptr.size()) != A.rows + 1 ||
      A.indices.size() != A.values.size() || A.indptr.front() != 0 ||
      A.indptr.back() != A.nnz())
    throw Error(std::string(where) + ": malformed CSR matrix (rows=" + std::to_string(A.rows) +
                " indptr=" + std::to_string(A.indptr.size()) +
                " indices=" + std::to_string(A.indices.size()) +
                " values=" + std::to_string(A.values.size()) + ")");
}

}  // namespace

template <class T>
void spmm(const CsrMatrix& A, const T* B, int64_t n, T* Y, bool accumulate) {
  check_csr(A, "spmm");
  if (n < 0) throw Error("spmm: negative column count n=" + std::to_string(n));
  if (A.rows == 0 || n == 0) return;
  const SpmmArgs<T> args{CsrView{A.rows, A.cols, A.indptr.data(), A.indices.data(), A.values.data()}, B, n, Y, accumulate};
  const auto kernel = table<T>().spmm_rows;
  const int64_t work = (A.nnz() + A.rows) * n;
  if (work < kSerialWork) {
    kernel(args, 0, A.rows);
    return;
  }
  // Grain: enough rows for ~kChunkWork multiply-adds at the average row length.
  const int64_t per_row = std::max<int64_t>(1, work / A.rows);
  const int64_t grain = std::max<int64_t>(1, kChunkWork / per_row);
  parallel_range(A.rows, grain, [&](int64_t r0, int64_t r1) { kernel(args, r0, r1); });
}

CsrTranspose csr_transpose(const CsrMatrix& A) {
  check_csr(A, "csr_transpose");
  const int64_t nnz = A.nnz();
  CsrTranspose T;
  T.t.rows = A.cols;
  T.t.cols = A.rows;
  T.t.indptr.assign(static_cast<size_t>(A.cols + 1), 0);
  T.t.indices.resize(static_cast<size_t>(nnz));
  T.t.values.resize(static_cast<size_t>(nnz));
  T.perm.resize(static_cast<size_t>(nnz));

  // Count per column, then prefix sums: indptr_t[c] = first slot of column c.
  for (int64_t e = 0; e < nnz; ++e) {
    const int32_t c = A.indices[static_cast<size_t>(e)];
    if (c < 0 || c >= A.cols)
      throw Error("csr_transpose: column index " + std::to_string(c) + " out of range [0, " +
                  std::to_string(A.cols) + ") at entry " + std::to_string(e));
    ++T.t.indptr[static_cast<size_t>(c) + 1];
  }
  for (int64_t c = 0; c < A.cols; ++c)
    T.t.indptr[static_cast<size_t>(c) + 1] += T.t.indptr[static_cast<size_t>(c)];

  // Scatter in increasing row order: each column's entries come out sorted by row.
  std::vector<int64_t> next(T.t.indptr.begin(), T.t.indptr.end() - 1);
  for (int64_t r = 0; r < A.rows; ++r) {
    for (int64_t e = A.indptr[static_cast<size_t>(r)]; e < A.indptr[static_cast<size_t>(r) + 1];
         ++e) {
      const int64_t k = next[static_cast<size_t>(A.indices[static_cast<size_t>(e)])]++;
      T.t.indices[static_cast<size_t>(k)] = static_cast<int32_t>(r);
      T.t.values[static_cast<size_t>(k)] = A.values[static_cast<size_t>(e)];
      T.perm[static_cast<size_t>(k)] = e;
    }
  }
  return T;
}

void csr_transpose_refresh_values(const CsrMatrix& A, CsrTranspose& T) {
  const int64_t nnz = A.nnz();
  if (static_cast<int64_t>(T.perm.size()) != nnz || T.t.nnz() != nnz)
    throw Error("csr_transpose_refresh_values: the matrix has " + std::to_string(nnz) +
                " stored values but its transpose has " + std::to_string(T.t.nnz()) +
                " (perm " + std::to_string(T.perm.size()) + ")");
  const float* src = A.values.data();
  const int64_t* perm = T.perm.data();
  float* dst = T.t.values.data();
  auto body = [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) dst[k] = src[perm[k]];
  };
  if (nnz < (int64_t{1} << 18)) {
    body(0, nnz);
  } else {
    parallel_range(nnz, int64_t{1} << 16, body);
  }
}

template void spmm<float>(const CsrMatrix&, const float*, int64_t, float*, bool);
template void spmm<double>(const CsrMatrix&, const double*, int64_t, double*, bool);

}  // namespace gatgrad::kernels
