/// @file
/// .npz archives: NumPy's zip (io/zip.hpp) of .npy members (io/npy.hpp), and scipy's sparse
/// matrices saved in them. Every error is a DataError starting with the archive's path; errors
/// inside a member name it too: "photo/x.npz: indptr.npy: indptr[5] = 3 is below indptr[4] = 7".
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/sparse.hpp"
#include "io/npy.hpp"

namespace gatgrad {

/// The .npy members of an archive keyed by name without ".npy" ("indptr"), as numpy.load does.
/// Members whose name does not end in .npy are skipped. Decompressed sizes are bounded by
/// what deflate can produce from the compressed bytes, so corrupt input cannot ask for
/// unbounded memory.
std::map<std::string, NpyArray> parse_npz(const char* data, size_t size, const std::string& name);
std::map<std::string, NpyArray> load_npz(const std::string& path);

/// Writes `members` (names without ".npy") as an .npz: stored like np.savez, or deflated like
/// np.savez_compressed when `compress`. Throws DataError naming the path when it cannot.
void save_npz(const std::string& path, const std::vector<std::pair<std::string, NpyArray>>& members,
              bool compress = true);

/// The most rows a reader of a sparse matrix may build, and what says so. A csc or coo file can
/// claim any number of rows (an empty matrix of 2^40 rows is a few hundred bytes), and the CSR
/// built from it needs 8 bytes per row: the shape is checked against this before anything of its
/// size is allocated. The default is the int32 node ids' limit; load_dataset passes the node count
/// of y.npy, which the file holds.
struct RowLimit {
  int64_t rows = 2147483647;  ///< int32's maximum
  std::string what = "2147483647, the most rows int32 node ids can number";  ///< "the 2708 nodes of cora/y.npy"
};

/// A matrix written by scipy.sparse.save_npz(path, m) for a csr, csc or coo matrix m, as CSR.
/// Members: format ("csr", "csc" or "coo"; |S3 or <U3), shape (int [2]), data (numeric [nnz],
/// finite), and per format: csr indptr (int [rows+1], 0 .. nnz, non-decreasing) and indices (int
/// [nnz], columns in [0, cols)), read as stored; csc indptr [cols+1] and indices (rows in
/// [0, rows)); coo row and col (int [nnz]). csc and coo become what scipy's tocsr() gives: columns
/// ascending within each row, values at one (row, col) summed (scipy's meaning of duplicates,
/// which a csr file's products read the same way). More rows than `limit` allows are refused
/// first. Any failure names the member.
CsrMatrix load_scipy_csr_npz(const std::string& path, const RowLimit& limit = {});

/// The same check and conversion on already-read members (`name` prefixes the messages).
CsrMatrix scipy_csr_from_members(const std::map<std::string, NpyArray>& members, const std::string& name,
                                 const RowLimit& limit = {});

}  // namespace gatgrad
