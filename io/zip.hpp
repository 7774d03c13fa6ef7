/// @file
/// Zip archives, as much of the format (PKWARE APPNOTE) as NumPy's .npz files use: the reader
/// takes the central directory (zip64 records included) and stored or deflated members (zlib,
/// CRC checked); the writer stores or deflates members, without zip64. Every error is a
/// DataError starting with the archive's name, and errors inside a member name it too:
/// "photo/x.npz: indptr.npy: corrupt member: CRC mismatch". Sizes are checked against the bytes
/// at hand before anything is allocated, so any input (a fuzzer's too) gives members or a DataError.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gatgrad {

/// One member as the central directory lists it.
struct ZipEntry {
  std::string name;     ///< as stored (bytes, not checked as UTF-8)
  uint32_t flags = 0;   ///< general-purpose bits (bit 0: encrypted)
  uint32_t method = 0;  ///< 0 stored, 8 deflate (others are rejected by extract_zip_member)
  uint32_t crc = 0;     ///< CRC-32 of the uncompressed bytes
  uint64_t csize = 0, usize = 0;  ///< compressed and uncompressed sizes
  uint64_t offset = 0;  ///< of the member's local file header
};

/// The members listed by the central directory of the archive held in `data` [size bytes].
/// `name` (the archive's path) prefixes every error message.
std::vector<ZipEntry> read_zip_directory(const char* data, size_t size, const std::string& name);

/// The uncompressed bytes of `entry`, after checking its local header, that its sizes fit the
/// archive (a member cannot inflate to more than deflate produces from its compressed bytes),
/// and its CRC.
std::vector<char> extract_zip_member(const char* data, size_t size, const ZipEntry& entry, const std::string& name);

/// A member name as error messages show it: control bytes as `\xNN` (a NUL would end the message).
std::string zip_display_name(const std::string& member_name);

/// Writes each (file name, bytes) as one member, deflated when `compress`, else stored (no
/// zip64, so members and offsets stay below 4 GiB), whole or not at all (io/file.hpp's AtomicFile).
/// Throws DataError naming the path when it cannot.
void save_zip(const std::string& path, const std::vector<std::pair<std::string, std::vector<char>>>& files,
              bool compress);

}  // namespace gatgrad
