// .npz reading and writing: the .npy members of a zip archive (io/zip.hpp), and the checks
// that turn scipy.sparse.save_npz members into a CsrMatrix. See npz.hpp.
#include "io/npz.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "autograd/error.hpp"
#include "io/file.hpp"
#include "io/zip.hpp"

namespace gatgrad {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw DataError(name + ": " + what);
}

// Members of a checked .npz, by name without ".npy".
const NpyArray& member(const std::map<std::string, NpyArray>& m, const std::string& key, const std::string& name) {
  auto it = m.find(key);
  if (it == m.end())
    fail(name, "no member " + key + ".npy (scipy.sparse.save_npz writes indices, indptr, format, shape and data)");
  return it->second;
}

void require_1d(const NpyArray& a, int64_t length, const std::string& what) {
  if (a.shape.size() != 1) fail(a.name, "expected a 1-d array, found shape " + a.shape_str());
  if (length >= 0 && a.shape[0] != length)
    fail(a.name, "has " + std::to_string(a.shape[0]) + " entries, expected " + what + " = " + std::to_string(length));
}

}  // namespace

std::map<std::string, NpyArray> parse_npz(const char* data, size_t size, const std::string& name) {
  std::map<std::string, NpyArray> arrays;
  for (const ZipEntry& e : read_zip_directory(data, size, name)) {
    if (e.name.size() <= 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) continue;
    const std::string key = e.name.substr(0, e.name.size() - 4);
    if (arrays.count(key)) fail(name, "member " + zip_display_name(e.name) + " appears twice");
    const std::vector<char> bytes = extract_zip_member(data, size, e, name);
    arrays.emplace(key, parse_npy(bytes.data(), bytes.size(), name + ": " + zip_display_name(e.name)));
  }
  return arrays;
}

std::map<std::string, NpyArray> load_npz(const std::string& path) {
  const std::vector<char> bytes = read_whole_file(path);
  return parse_npz(bytes.data(), bytes.size(), path);
}

void save_npz(const std::string& path, const std::vector<std::pair<std::string, NpyArray>>& members, bool compress) {
  std::vector<std::pair<std::string, std::vector<char>>> files;
  for (const auto& [key, array] : members) files.emplace_back(key + ".npy", serialize_npy(array));
  save_zip(path, files, compress);
}

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// shape.npy: (rows, cols), both non-negative, rows within the caller's limit (checked before the
// CSR's 8 bytes per row are allocated), cols within the int32 column indices.
std::pair<int64_t, int64_t> read_shape(const std::map<std::string, NpyArray>& m, const std::string& name,
                                       const RowLimit& limit) {
  const NpyArray& a = member(m, "shape", name);
  require_1d(a, 2, "rows and cols");
  const std::vector<int64_t> shape = a.to_int64();
  if (shape[0] < 0 || shape[1] < 0) fail(a.name, "negative shape (" + str(shape[0]) + ", " + str(shape[1]) + ")");
  if (shape[0] > limit.rows) fail(a.name, "rows = " + str(shape[0]) + " is more than " + limit.what);
  if (shape[1] > std::numeric_limits<int32_t>::max())
    fail(a.name, "cols = " + str(shape[1]) + " does not fit in int32 indices");
  return {shape[0], shape[1]};
}

// indptr.npy of a compressed format (CSR: one entry per row, CSC: per column, + 1): starts at 0,
// never decreases, ends at nnz.
std::vector<int64_t> read_indptr(const NpyArray& a, int64_t outer, const char* outer_name, int64_t nnz) {
  require_1d(a, outer + 1, std::string(outer_name) + " + 1");
  std::vector<int64_t> indptr = a.to_int64();
  if (indptr[0] != 0) fail(a.name, "indptr[0] = " + str(indptr[0]) + ", expected 0");
  for (int64_t r = 0; r < outer; ++r) {
    if (indptr[r + 1] < indptr[r])
      fail(a.name, "indptr[" + str(r + 1) + "] = " + str(indptr[r + 1]) + " is below indptr[" + str(r) +
                       "] = " + str(indptr[r]) + " (indptr must be non-decreasing)");
  }
  if (indptr[outer] != nnz)
    fail(a.name, "indptr[" + str(outer) + "] = " + str(indptr[outer]) + ", expected nnz = " + str(nnz) +
                     " (the length of indices.npy)");
  return indptr;
}

// Index k of `a` (a member's values, read as `v`) must lie in [0, bound); `where` says the row or
// column it belongs to.
void check_index(const NpyArray& a, const char* field, const std::vector<int64_t>& v, int64_t k, int64_t bound,
                 const std::string& where) {
  if (v[k] < 0 || v[k] >= bound)
    fail(a.name, std::string(field) + "[" + str(k) + "] = " + str(v[k]) + where + " is outside [0, " + str(bound) + ")");
}

void check_finite(const NpyArray& data_a, const std::vector<float>& values, int64_t k, int64_t row, int64_t col) {
  const float v = values[k];
  if (!std::isfinite(v))
    fail(data_a.name, "data[" + str(k) + "] is " + (std::isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf") + " at row " +
                          str(row) + ", column " + str(col) + " (values must be finite)");
}

// What scipy's tocsr() makes of checked (row, col, value) triples in storage order: rows in
// order, columns ascending within a row, and values stored more than once at one (row, col)
// summed (in storage order, in double, rounded once), as scipy's sparse arithmetic reads them.
CsrMatrix canonical_csr(int64_t rows, int64_t cols, const std::vector<int64_t>& row, const std::vector<int64_t>& col,
                        const std::vector<float>& values) {
  const size_t nnz = values.size();
  std::vector<int64_t> start(static_cast<size_t>(rows) + 1, 0);  // counting sort by row, stable
  for (size_t k = 0; k < nnz; ++k) ++start[row[k] + 1];
  for (int64_t r = 0; r < rows; ++r) start[r + 1] += start[r];
  std::vector<size_t> order(nnz);
  std::vector<int64_t> next(start.begin(), start.end() - 1);
  for (size_t k = 0; k < nnz; ++k) order[next[row[k]]++] = k;

  CsrMatrix csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.indptr.assign(1, 0);
  csr.indptr.reserve(static_cast<size_t>(rows) + 1);
  for (int64_t r = 0; r < rows; ++r) {
    const auto first = order.begin() + start[r], last = order.begin() + start[r + 1];
    std::stable_sort(first, last, [&](size_t a, size_t b) { return col[a] < col[b]; });
    for (auto it = first; it != last;) {
      const int64_t c = col[*it];
      double sum = 0;
      for (; it != last && col[*it] == c; ++it) sum += values[*it];
      csr.indices.push_back(static_cast<int32_t>(c));
      csr.values.push_back(static_cast<float>(sum));
    }
    csr.indptr.push_back(static_cast<int64_t>(csr.values.size()));
  }
  return csr;
}

// indptr, indices and data of a compressed format, checked: `outer` segments (csr: the rows,
// csc: the columns) of indices in [0, inner) and finite values.
struct Compressed {
  std::vector<int64_t> indptr, indices;
  std::vector<float> values;
};
Compressed read_compressed(const std::map<std::string, NpyArray>& m, const std::string& name, int64_t outer,
                           int64_t inner, bool by_row) {
  const NpyArray& indptr_a = member(m, "indptr", name);
  const NpyArray& indices_a = member(m, "indices", name);
  const NpyArray& data_a = member(m, "data", name);
  require_1d(indices_a, -1, "");
  const int64_t nnz = indices_a.shape[0];
  Compressed c;
  c.indptr = read_indptr(indptr_a, outer, by_row ? "rows" : "cols", nnz);
  require_1d(data_a, nnz, "the length of indices.npy");
  c.indices = indices_a.to_int64();
  c.values = data_a.to_float();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = c.indptr[o]; k < c.indptr[o + 1]; ++k) {
      check_index(indices_a, "indices", c.indices, k, inner, (by_row ? " (row " : " (column ") + str(o) + ")");
      check_finite(data_a, c.values, k, by_row ? o : c.indices[k], by_row ? c.indices[k] : o);
    }
  }
  return c;
}

// format 'csr': read as stored (duplicates are kept: every product sums them, as scipy does).
CsrMatrix read_csr(const std::map<std::string, NpyArray>& m, const std::string& name, int64_t rows, int64_t cols) {
  Compressed c = read_compressed(m, name, rows, cols, true);
  CsrMatrix csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.indptr = std::move(c.indptr);
  csr.indices.assign(c.indices.begin(), c.indices.end());  // checked: within int32
  csr.values = std::move(c.values);
  return csr;
}

// format 'csc': indptr per column, row indices; converted to canonical CSR.
CsrMatrix read_csc(const std::map<std::string, NpyArray>& m, const std::string& name, int64_t rows, int64_t cols) {
  const Compressed c = read_compressed(m, name, cols, rows, false);
  std::vector<int64_t> col(c.values.size());
  for (int64_t j = 0; j < cols; ++j) std::fill(col.begin() + c.indptr[j], col.begin() + c.indptr[j + 1], j);
  return canonical_csr(rows, cols, c.indices, col, c.values);
}

// format 'coo': row, col and data of equal length; converted to canonical CSR.
CsrMatrix read_coo(const std::map<std::string, NpyArray>& m, const std::string& name, int64_t rows, int64_t cols) {
  const NpyArray& row_a = member(m, "row", name);
  const NpyArray& col_a = member(m, "col", name);
  const NpyArray& data_a = member(m, "data", name);
  require_1d(row_a, -1, "");
  const int64_t nnz = row_a.shape[0];
  require_1d(col_a, nnz, "the length of row.npy");
  require_1d(data_a, nnz, "the length of row.npy");
  const std::vector<int64_t> row = row_a.to_int64(), col = col_a.to_int64();
  const std::vector<float> values = data_a.to_float();
  for (int64_t k = 0; k < nnz; ++k) {
    check_index(row_a, "row", row, k, rows, "");
    check_index(col_a, "col", col, k, cols, "");
    check_finite(data_a, values, k, row[k], col[k]);
  }
  return canonical_csr(rows, cols, row, col, values);
}

}  // namespace

CsrMatrix scipy_csr_from_members(const std::map<std::string, NpyArray>& m, const std::string& name,
                                 const RowLimit& limit) {
  const NpyArray& format = member(m, "format", name);
  const std::vector<std::string> fmt = format.to_strings();
  if (fmt.size() != 1) fail(format.name, "expected one string, found shape " + format.shape_str());
  using Reader = CsrMatrix (*)(const std::map<std::string, NpyArray>&, const std::string&, int64_t, int64_t);
  const Reader read = fmt[0] == "csr" ? read_csr : fmt[0] == "csc" ? read_csc : fmt[0] == "coo" ? read_coo : nullptr;
  if (!read) fail(format.name, "format is '" + fmt[0] + "': only csr, csc and coo matrices are read (save x.tocsr())");
  const auto [rows, cols] = read_shape(m, name, limit);
  return read(m, name, rows, cols);
}

CsrMatrix load_scipy_csr_npz(const std::string& path, const RowLimit& limit) {
  return scipy_csr_from_members(load_npz(path), path, limit);
}

}  // namespace gatgrad
