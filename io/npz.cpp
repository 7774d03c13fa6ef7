// .npz reading and writing: the .npy members of a zip archive (io/zip.hpp), and the checks
// that turn scipy.sparse.save_npz members into a CsrMatrix. See npz.hpp.
#include "io/npz.hpp"

#include <cmath>
#include <limits>

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

CsrMatrix scipy_csr_from_members(const std::map<std::string, NpyArray>& m, const std::string& name) {
  const NpyArray& format = member(m, "format", name);
  const std::vector<std::string> fmt = format.to_strings();
  if (fmt.size() != 1) fail(format.name, "expected one string, found shape " + format.shape_str());
  if (fmt[0] != "csr") fail(format.name, "format is '" + fmt[0] + "': only csr matrices are read (save x.tocsr())");

  const NpyArray& shape_a = member(m, "shape", name);
  require_1d(shape_a, 2, "rows and cols");
  const std::vector<int64_t> shape = shape_a.to_int64();
  CsrMatrix csr;
  csr.rows = shape[0];
  csr.cols = shape[1];
  if (csr.rows < 0 || csr.cols < 0) fail(shape_a.name, "negative shape (" + std::to_string(csr.rows) + ", " + std::to_string(csr.cols) + ")");
  if (csr.cols > std::numeric_limits<int32_t>::max()) fail(shape_a.name, "cols = " + std::to_string(csr.cols) + " does not fit in int32 indices");

  const NpyArray& indptr_a = member(m, "indptr", name);
  const NpyArray& indices_a = member(m, "indices", name);
  const NpyArray& data_a = member(m, "data", name);
  require_1d(indices_a, -1, "");
  const int64_t nnz = indices_a.shape[0];
  require_1d(indptr_a, csr.rows + 1, "rows + 1");
  require_1d(data_a, nnz, "the length of indices.npy");
  csr.indptr = indptr_a.to_int64();
  if (csr.indptr[0] != 0) fail(indptr_a.name, "indptr[0] = " + std::to_string(csr.indptr[0]) + ", expected 0");
  for (int64_t r = 0; r < csr.rows; ++r) {
    if (csr.indptr[r + 1] < csr.indptr[r])
      fail(indptr_a.name, "indptr[" + std::to_string(r + 1) + "] = " + std::to_string(csr.indptr[r + 1]) +
                               " is below indptr[" + std::to_string(r) + "] = " + std::to_string(csr.indptr[r]) +
                               " (indptr must be non-decreasing)");
  }
  if (csr.indptr[csr.rows] != nnz)
    fail(indptr_a.name, "indptr[" + std::to_string(csr.rows) + "] = " + std::to_string(csr.indptr[csr.rows]) +
                             ", expected nnz = " + std::to_string(nnz) + " (the length of indices.npy)");

  const std::vector<int64_t> indices = indices_a.to_int64();
  csr.values = data_a.to_float();
  csr.indices.resize(static_cast<size_t>(nnz));
  for (int64_t r = 0; r < csr.rows; ++r) {
    for (int64_t k = csr.indptr[r]; k < csr.indptr[r + 1]; ++k) {
      const int64_t c = indices[k];
      if (c < 0 || c >= csr.cols)
        fail(indices_a.name, "indices[" + std::to_string(k) + "] = " + std::to_string(c) + " (row " + std::to_string(r) +
                                  ") is outside [0, " + std::to_string(csr.cols) + ")");
      if (!std::isfinite(csr.values[k]))
        fail(data_a.name, "data[" + std::to_string(k) + "] is " +
                               (std::isnan(csr.values[k]) ? "NaN" : csr.values[k] > 0 ? "Inf" : "-Inf") + " at row " +
                               std::to_string(r) + ", column " + std::to_string(c) + " (values must be finite)");
      csr.indices[k] = static_cast<int32_t>(c);
    }
  }
  return csr;
}

CsrMatrix load_scipy_csr_npz(const std::string& path) {
  return scipy_csr_from_members(load_npz(path), path);
}

}  // namespace gatgrad
