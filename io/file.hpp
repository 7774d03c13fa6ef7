/// @file
/// Reading and writing whole files for the readers and writers of io/ (.npy, .npz, JSON) and
/// everything above them (checkpoints, gat-train's outputs). Every failure is a DataError whose
/// message starts with the path: "cora/x.npy: missing file".
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
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

/// Whether an optional file (edge_attr.npy, graph_index.npy, x.npz beside a missing x.npy, ...)
/// is there: false only when nothing at all has that name. A name that is there but leads to no
/// file -- a dangling symbolic link, a loop of links, a folder on the way that cannot be searched
/// -- is a DataError naming the path ("dangling symbolic link to 'gone.npy'"), never "absent": a
/// file present in name only must not silently change what a program computes. Whether the
/// file can be opened is the reader's to say (open_regular_file).
bool optional_file_present(const std::string& path);

/// A file written whole or not at all, the rule of every file gatgrad writes (checkpoints,
/// .npy and .npz, gat-train's outputs): the bytes go to the temporary `<path>.tmp-<pid>` beside
/// it, which commit() closes (and, when `sync`, syncs to disk) and renames over `path`. Until
/// then `path` holds its old contents; a failed write (a full disk: write and close report it)
/// or an AtomicFile destroyed without commit() removes the temporary, so nothing is left behind.
/// `sync` also makes the new contents survive a power cut (checkpoints ask for it; it costs a
/// journal commit, ~15 ms per file). A `path` that is a symbolic link is resolved (the link
/// stays, its target is replaced); one that exists and is not a regular file (/dev/stdout, a
/// pipe) is written in place. An existing file's permissions are kept. DataError naming `path`.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path, bool sync = false);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  ///< removes the temporary unless committed

  void write(const void* data, size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  /// Closes (syncs) the temporary and renames it over the path (then syncs the folder).
  void commit();

 private:
  void discard() noexcept;
  std::string path_;    // as the caller named it: the prefix of every message
  std::string target_;  // the file replaced (symbolic links resolved)
  std::string temp_;    // target_ + ".tmp-<pid>"; empty when written in place
  int fd_ = -1;
  bool sync_ = false;
  bool committed_ = false;
};

/// Writes `bytes` to `path` through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view bytes, bool sync = false);

/// fsync of the file or folder at `path` (a folder's, so that the names renamed into it last).
/// DataError naming the path.
void sync_path(const std::string& path, bool directory);

}  // namespace gatgrad
