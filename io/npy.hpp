/// @file
/// .npy arrays: read and write NumPy's own file format, header parsed and checked by hand.
///   file = "\x93NUMPY" major minor | header length (u16 for 1.0, u32 for 2.0/3.0)
///        | "{'descr': '<f4', 'fortran_order': False, 'shape': (2708, 1433), }" padded, '\n'
///        | numel * itemsize bytes of little-endian, C-order data
/// Every failure is a DataError whose message starts with the name the caller gave (a path):
///   "cora/x.npy: truncated: expected 15522256 bytes of data, found 1000".
/// Reading never allocates more than the input holds: the shape is checked against the actual
/// byte count first, so any input (a fuzzer's too) gives an array or a DataError.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gatgrad {

/// Element types read: `<f4 <f8`, `|i1 <i2 <i4 <i8`, `|u1 <u2 <u4 <u8`, `|b1`, and the fixed-size
/// strings `|S<n>` (bytes) and `<U<n>` (UTF-32) that scipy's .npz files use for their "format".
/// Big-endian ('>'), Fortran-order, object, complex, float16, datetime and structured arrays
/// are rejected with a message saying so.
struct NpyArray {
  std::string name;            ///< where it came from, the prefix of every error message
  std::string dtype;           ///< NumPy descr as written, e.g. "<f4", "|b1", "|S3"
  std::vector<int64_t> shape;  ///< () for a 0-d array
  std::vector<char> bytes;     ///< numel() * itemsize() bytes, little-endian, C order

  int64_t numel() const;       ///< product of shape (1 for 0-d)
  int64_t itemsize() const;    ///< bytes per element
  char kind() const;           ///< 'f', 'i', 'u', 'b', 'S' or 'U'
  std::string shape_str() const;  ///< "(2708, 1433)", "(7,)", "()"

  /// Converting copies; each throws DataError (naming `name`) when the dtype does not fit.
  std::vector<float> to_float() const;      ///< any numeric or bool dtype
  std::vector<double> to_double() const;    ///< any numeric or bool dtype
  std::vector<int64_t> to_int64() const;    ///< integer or bool dtypes (u8 checked for range)
  std::vector<uint8_t> to_bool() const;     ///< |b1 (nonzero = 1), or integers that are 0 or 1
  std::vector<std::string> to_strings() const;  ///< `|S<n>` or `<U<n>`, trailing NULs removed
};

/// Parses a whole .npy file held in memory. `name` prefixes every error message.
NpyArray parse_npy(const char* data, size_t size, const std::string& name);

/// A shape as NumPy prints it: "(2708, 1433)", "(7,)", "()".
std::string shape_repr(const std::vector<int64_t>& shape);

/// Reads the .npy file at `path` (the header first, then the data straight into the array).
NpyArray load_npy(const std::string& path);

/// The dtype and shape of the .npy file at `path`, checked as load_npy checks them (the shape
/// against the file's size), without reading its data (`bytes` stays empty): what a reader needs
/// to bound another file's sizes by this one's.
NpyArray read_npy_header(const std::string& path);

/// A .npy file mapped read-only (np.load(path, mmap_mode='r')): the header read and checked as
/// load_npy checks it, the data left where it lies in the page cache and read from there.
struct MappedNpy {
  std::string name;            ///< the path, the prefix of every error message
  std::string dtype;           ///< NumPy descr as written
  std::vector<int64_t> shape;
  const char* data = nullptr;  ///< numel * itemsize bytes, little-endian, C order
  size_t bytes = 0;
  size_t offset = 0;           ///< where the data starts in the file (the header's size)
  std::shared_ptr<const void> mapping;  ///< the mapping, unmapped when the last copy goes

  bool defined() const { return mapping != nullptr; }
};

/// Maps the .npy file at `path` read-only. Throws DataError (naming the path) as load_npy does
/// for a malformed file, when the file cannot be mapped, and when it is shorter right after the
/// mapping than its header said. A file cut short later, while the mapping is read, ends the
/// process with a message naming it and exit status 1 (io/map_guard.hpp), not a bare SIGBUS.
MappedNpy map_npy(const std::string& path);

/// The bytes of a version 1.0 .npy file (version 2.0 only if the header cannot fit in 64 KiB),
/// written as NumPy writes them: dict, padding spaces, '\n', data aligned to 64 bytes.
/// Throws DataError when dtype is not one of the types above or bytes do not match the shape.
std::vector<char> serialize_npy(const NpyArray& array);

/// Writes `array` to `path`, whole or not at all (io/file.hpp's AtomicFile: a failed write leaves
/// an existing file as it was); throws DataError naming the path when it cannot.
void save_npy(const std::string& path, const NpyArray& array);

/// Writes numel(shape) values read from `data`, with the dtype of the pointer:
/// float <f4, double <f8, int64_t <i8, int32_t <i4, int8_t |i1, uint8_t |u1, bool |b1.
void save_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
void save_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape);
void save_npy(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape);
void save_npy(const std::string& path, const int32_t* data, const std::vector<int64_t>& shape);
void save_npy(const std::string& path, const int8_t* data, const std::vector<int64_t>& shape);
void save_npy(const std::string& path, const uint8_t* data, const std::vector<int64_t>& shape);
void save_npy(const std::string& path, const bool* data, const std::vector<int64_t>& shape);

/// An array of the given dtype holding a copy of numel(shape) elements at `data`
/// (for writing masks as |b1 from uint8_t, or building test inputs).
NpyArray make_npy(const std::string& dtype, const void* data, const std::vector<int64_t>& shape);

}  // namespace gatgrad
