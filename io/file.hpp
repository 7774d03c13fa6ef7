/// @file
/// Reading whole files for the readers of io/ (.npy, .npz, JSON) and the checkpoints above them.
/// Every failure is a DataError whose message starts with the path: "cora/x.npy: missing file".
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace gatgrad {

/// Closes its std::FILE when it goes out of scope.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

/// The regular file at `path`, opened for reading, and its size in bytes in `size`.
/// DataError naming the path: "missing file", "cannot open: <reason>", "not a regular file".
File open_regular_file(const std::string& path, uint64_t& size);

/// All bytes of the regular file at `path`. DataError naming the path: the errors of
/// open_regular_file, "empty file (0 bytes)", "read error".
std::vector<char> read_whole_file(const std::string& path);

}  // namespace gatgrad
