// Reading whole files, optional files, and files written whole or not at all, with a DataError
// naming the path on every failure. See file.hpp.
#include "io/file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autograd/error.hpp"

namespace gatgrad {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw DataError(path + ": " + what); }

std::string reason(int err) { return std::strerror(err); }

}  // namespace

File open_regular_file(const std::string& path, uint64_t& size) {
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (!raw) {
    if (errno == ENOENT) fail(path, "missing file");
    fail(path, "cannot open: " + reason(errno));
  }
  File f(raw);
  struct stat st {};
  if (fstat(fileno(f.get()), &st) != 0 || !S_ISREG(st.st_mode)) fail(path, "not a regular file");
  size = static_cast<uint64_t>(st.st_size);
  return f;
}

std::vector<char> read_whole_file(const std::string& path) {
  uint64_t total = 0;
  File f = open_regular_file(path, total);
  if (total == 0) fail(path, "empty file (0 bytes)");
  std::vector<char> bytes(static_cast<size_t>(total));
  if (std::fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) fail(path, "read error");
  return bytes;
}

bool optional_file_present(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;  // nothing has that name
    fail(path, "cannot be examined: " + reason(errno));
  }
  if (!S_ISLNK(st.st_mode) || ::stat(path.c_str(), &st) == 0) return true;
  const int err = errno;
  std::error_code ec;
  const std::string to = fs::read_symlink(path, ec).string();
  if (err == ENOENT)
    fail(path, "dangling symbolic link to '" + to + "': the file is there in name only (remove the link or restore "
               "what it points to)");
  fail(path, "symbolic link to '" + to + "' cannot be followed: " + reason(err));
}

// ---- AtomicFile ----

AtomicFile::AtomicFile(const std::string& path, bool sync) : path_(path), target_(path), sync_(sync) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {  // /dev/stdout, a pipe: no file to replace
    fd_ = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd_ < 0) fail(path_, "cannot open for writing: " + reason(errno));
    return;
  }
  if (exists) {
    std::error_code ec;
    const fs::path resolved = fs::canonical(path, ec);  // a symbolic link keeps pointing at the new file
    if (!ec) target_ = resolved.string();
  }
  temp_ = target_ + ".tmp-" + std::to_string(::getpid());
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail(path_, "cannot open for writing: " + reason(errno) + " (creating " + temp_ + " to write it aside)");
  if (exists && ::fchmod(fd_, st.st_mode & 07777) != 0) {
    const int err = errno;
    discard();
    fail(path_, "cannot keep the file's permissions: " + reason(err));
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  if (fd_ < 0) fail(path_, "write after the file was committed or discarded");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      discard();
      fail(path_, "write failed: " + reason(err) + (temp_.empty() ? "" : " (the file is left as it was)"));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) fail(path_, "commit after the file was committed or discarded");
  if (temp_.empty()) {  // written in place
    const int closed = ::close(fd_);
    fd_ = -1;
    committed_ = true;
    if (closed != 0) fail(path_, "write failed: " + reason(errno));
    return;
  }
  int err = 0;
  if (sync_ && ::fsync(fd_) != 0) err = errno;
  if (::close(fd_) != 0 && err == 0) err = errno;
  fd_ = -1;
  if (err != 0) {
    discard();
    fail(path_, "write failed: " + reason(err) + " (the file is left as it was)");
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    err = errno;
    discard();
    fail(path_, "cannot replace the file: " + reason(err) + " (it is left as it was)");
  }
  committed_ = true;
  if (!sync_) return;
  const fs::path parent = fs::path(target_).parent_path();
  try {
    sync_path(parent.empty() ? "." : parent.string(), true);
  } catch (const DataError&) {
    // the file is complete in place; a folder that cannot be synced only weakens durability
  }
}

void write_file_atomically(const std::string& path, std::string_view bytes, bool sync) {
  AtomicFile f(path, sync);
  f.write(bytes);
  f.commit();
}

void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) fail(path, "cannot open to sync: " + reason(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail(path, "fsync failed: " + reason(err));
}

}  // namespace gatgrad
