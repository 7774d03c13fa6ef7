/// @file
/// .npz archives: NumPy's zip (io/zip.hpp) of .npy members (io/npy.hpp), and scipy's sparse
/// matrices saved in them. Every error is a DataError starting with the archive's path; errors
/// inside a member name it too: "photo/x.npz: indptr.npy: indptr[5] = 3 is below indptr[4] = 7".
#pragma once
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

/// A matrix written by scipy.sparse.save_npz(path, m) for a csr, csc or coo matrix m, as CSR.
/// Members: format ("csr", "csc" or "coo"; |S3 or <U3), shape (int [2]), data (numeric [nnz],
/// finite), and per format: csr indptr (int [rows+1], 0 .. nnz, non-decreasing) and indices (int
/// [nnz], columns in [0, cols)), read as stored; csc indptr [cols+1] and indices (rows in
/// [0, rows)); coo row and col (int [nnz]). csc and coo become what scipy's tocsr() gives: columns
/// ascending within each row, values at one (row, col) summed (scipy's meaning of duplicates,
/// which a csr file's products read the same way). Any failure names the member.
CsrMatrix load_scipy_csr_npz(const std::string& path);

/// The same check and conversion on already-read members (`name` prefixes the messages).
CsrMatrix scipy_csr_from_members(const std::map<std::string, NpyArray>& members, const std::string& name);

}  // namespace gatgrad
