#include "models/input_features.hpp"

#include <cstring>
#include <string>

#include "autograd/custom_op.hpp"
#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"

namespace gatgrad {

namespace {

// dropout(x)·w for dense x that needs no gradient (the input features): x [N, F], w [F, D] -> [N, D]
//   backward: dw += dropout(x)ᵀ · dy, dropout(x) drawn again
// The mask is a pure function of (key, k), so the backward draws the forward's dropout(x) anew
// instead of keeping it for the whole step: one more pass over x, and N·F values fewer at the
// step's peak (512 MB of the 1M-node, 128-feature synthetic graph's).
Tensor dense_dropout_matmul(const Tensor& x, const Tensor& w, double p, uint64_t key) {
  Tensor y;
  {
    NoGradGuard no_tape;
    y = matmul(dropout(x, p, key), w);
  }
  if (any_requires_grad({&w}))
    record("dropout_matmul", y, [x, w, p, key](const Tensor& dy) {
      NoGradGuard no_tape;
      accumulate_grad(w, matmul(dropout(x, p, key), dy, true, false));
    });
  return y;
}

}  // namespace

Tensor dropout_matmul(const InputFeatures& x, const Tensor& w, double p, uint64_t key) {
  if (x.is_sparse()) return sparse_dropout_matmul(x.sparse, p, key, w);
  if (p > 0 && !x.dense.requires_grad()) return dense_dropout_matmul(x.dense, w, p, key);
  return matmul(p > 0 ? dropout(x.dense, p, key) : x.dense, w);
}

}  // namespace gatgrad

namespace gatgrad {

Tensor first_rows(const Tensor& t, int64_t n) { return n == t.size(0) ? t : slice(t, 0, 0, n); }

InputFeatures first_rows(const InputFeatures& x, int64_t n) {
  if (n == x.rows()) return x;
  if (!x.is_sparse()) return first_rows(x.dense, n);
  if (n < 0 || n > x.rows())
    throw Error("first_rows: " + std::to_string(n) + " rows of " + std::to_string(x.rows()) + " asked for");
  const CsrMatrix& m = x.sparse.matrix();
  CsrMatrix out;
  out.rows = n;
  out.cols = m.cols;
  out.indptr.assign(m.indptr.begin(), m.indptr.begin() + n + 1);
  const int64_t nnz = out.indptr.back();
  out.indices.assign(m.indices.begin(), m.indices.begin() + nnz);
  out.values.assign(m.values.begin(), m.values.begin() + nnz);
  return SparseFeatures(std::move(out));
}

namespace {

void check_ids(std::span<const int32_t> ids, int64_t n) {
  for (size_t r = 0; r < ids.size(); ++r)
    if (ids[r] < 0 || ids[r] >= n)
      throw DataError("gather_rows: node id " + std::to_string(ids[r]) + " at position " + std::to_string(r) +
                      " is out of range for " + std::to_string(n) + " rows of features");
}

constexpr int64_t kRowsPerTask = 256;
constexpr int64_t kRowsAhead = 8;  // rows prefetched ahead of the copy: enough to hide a miss behind 8 copies

}  // namespace

template <class Index>
void copy_rows(char* out, const char* table, size_t row_bytes, std::span<const Index> index) {
  const int64_t R = static_cast<int64_t>(index.size());
  parallel_blocks(R, kRowsPerTask, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      if (r + kRowsAhead < r1 && index[r + kRowsAhead] >= 0) {
        const char* later = table + static_cast<size_t>(index[r + kRowsAhead]) * row_bytes;
        for (size_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(later + b);
      }
      if (index[r] >= 0)
        std::memcpy(out + static_cast<size_t>(r) * row_bytes, table + static_cast<size_t>(index[r]) * row_bytes, row_bytes);
    }
  });
}

template void copy_rows<int32_t>(char*, const char*, size_t, std::span<const int32_t>);
template void copy_rows<int64_t>(char*, const char*, size_t, std::span<const int64_t>);

InputFeatures gather_rows(const InputFeatures& x, std::span<const int32_t> ids) {
  check_ids(ids, x.rows());
  const int64_t R = static_cast<int64_t>(ids.size()), F = x.cols();
  if (!x.is_sparse()) {
    Tensor out = Tensor::empty({R, F}, x.dense.dtype());
    const size_t row_bytes = static_cast<size_t>(F * dtype_size(out.dtype()));
    copy_rows(static_cast<char*>(out.impl().storage->data()), static_cast<const char*>(x.dense.impl().storage->data()),
              row_bytes, ids);
    return out;
  }
  const CsrMatrix& m = x.sparse.matrix();
  CsrMatrix out;
  out.rows = R;
  out.cols = F;
  out.indptr.resize(static_cast<size_t>(R + 1));
  out.indptr[0] = 0;
  for (int64_t r = 0; r < R; ++r) out.indptr[r + 1] = out.indptr[r] + (m.indptr[ids[r] + 1] - m.indptr[ids[r]]);
  out.indices.resize(static_cast<size_t>(out.indptr[R]));
  out.values.resize(static_cast<size_t>(out.indptr[R]));
  parallel_blocks(R, kRowsPerTask, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = m.indptr[ids[r]], len = m.indptr[ids[r] + 1] - b;
      std::copy_n(m.indices.begin() + b, len, out.indices.begin() + out.indptr[r]);
      std::copy_n(m.values.begin() + b, len, out.values.begin() + out.indptr[r]);
    }
  });
  return SparseFeatures(std::move(out));
}

}  // namespace gatgrad
