// Opening and reading whole files, with a DataError naming the path on every failure. See file.hpp.
#include "io/file.hpp"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

#include "autograd/error.hpp"

namespace gatgrad {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw DataError(path + ": " + what); }

}  // namespace

File open_regular_file(const std::string& path, uint64_t& size) {
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (!raw) {
    if (errno == ENOENT) fail(path, "missing file");
    fail(path, std::string("cannot open: ") + std::strerror(errno));
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

}  // namespace gatgrad
