// .npz reading and writing: a small zip parser/writer (PKWARE APPNOTE: local file headers,
// central directory, end-of-central-directory and zip64 records) with zlib raw inflate/deflate,
// and the checks that turn scipy.sparse.save_npz members into a CsrMatrix. See npz.hpp.
#include "graph/npz.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <limits>

#include <zlib.h>

#include "autograd/error.hpp"

namespace gatgrad {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalLen = 30, kCentralLen = 46, kEndLen = 22;
constexpr uint64_t kMaxDeflateRatio = 1032;  // deflate never expands a byte into more than ~1032

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw DataError(name + ": " + what);
}

// A member name as shown in messages: control bytes as \xNN (a NUL would end the message).
std::string shown(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// Little-endian reads at a byte offset; callers check the bounds first.
uint64_t rd(const char* p, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[off + i]);
  return v;
}

struct Entry {
  std::string name;
  uint32_t flags = 0, method = 0, crc = 0;
  uint64_t csize = 0, usize = 0, offset = 0;
};

// Offset of the end-of-central-directory record: the last signature whose comment length
// reaches exactly the end of the file.
size_t find_end_record(const char* d, size_t size, const std::string& name) {
  if (size < kEndLen) fail(name, "not a zip archive: only " + std::to_string(size) + " bytes");
  const size_t lowest = size - kEndLen > 0xffff ? size - kEndLen - 0xffff : 0;
  for (size_t pos = size - kEndLen + 1; pos-- > lowest;) {
    if (rd(d, pos, 4) == kEndSig && pos + kEndLen + rd(d, pos + 20, 2) == size) return pos;
  }
  fail(name, "not a zip archive: no end-of-central-directory record");
}

// Replaces 0xffffffff sizes and offset by their zip64 extra-field values.
void read_zip64_extra(const char* extra, size_t len, Entry& e, const std::string& name) {
  for (size_t p = 0; p + 4 <= len;) {
    const uint64_t id = rd(extra, p, 2), sz = rd(extra, p + 2, 2);
    if (p + 4 + sz > len) fail(name, shown(e.name) + ": corrupt extra field in the central directory");
    if (id == 1) {
      size_t q = p + 4;
      for (uint64_t* field : {&e.usize, &e.csize, &e.offset}) {
        if (*field != 0xffffffffu) continue;
        if (q + 8 > p + 4 + sz) fail(name, shown(e.name) + ": zip64 extra field too short");
        *field = rd(extra, q, 8);
        q += 8;
      }
    }
    p += 4 + sz;
  }
}

std::vector<Entry> read_central_directory(const char* d, size_t size, const std::string& name) {
  const size_t end = find_end_record(d, size, name);
  if (rd(d, end + 4, 2) != 0 || rd(d, end + 6, 2) != 0) fail(name, "multi-disk zip archives are unsupported");
  uint64_t count = rd(d, end + 10, 2), cd_size = rd(d, end + 12, 4), cd_off = rd(d, end + 16, 4);
  if (count == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
    if (end < 20 || rd(d, end - 20, 4) != kZip64LocatorSig) fail(name, "zip64 end-of-central-directory locator missing");
    const uint64_t z = rd(d, end - 20 + 8, 8);
    if (z > size || size - z < 56 || rd(d, z, 4) != kZip64EndSig) fail(name, "zip64 end-of-central-directory record missing");
    count = rd(d, z + 32, 8);
    cd_size = rd(d, z + 40, 8);
    cd_off = rd(d, z + 48, 8);
  }
  if (cd_off > size || cd_size > size - cd_off)
    fail(name, "corrupt zip: the central directory (offset " + std::to_string(cd_off) + ", " +
                   std::to_string(cd_size) + " bytes) lies outside the " + std::to_string(size) + "-byte file");
  if (count > cd_size / kCentralLen) fail(name, "corrupt zip: " + std::to_string(count) + " entries cannot fit in the central directory");

  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(count));
  size_t p = static_cast<size_t>(cd_off);
  const size_t cd_end = static_cast<size_t>(cd_off + cd_size);
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < kCentralLen || rd(d, p, 4) != kCentralSig)
      fail(name, "corrupt zip: bad central directory entry " + std::to_string(i));
    const size_t nl = rd(d, p + 28, 2), el = rd(d, p + 30, 2), cl = rd(d, p + 32, 2);
    if (cd_end - p - kCentralLen < nl + el + cl) fail(name, "corrupt zip: central directory entry " + std::to_string(i) + " overruns");
    Entry e;
    e.flags = static_cast<uint32_t>(rd(d, p + 8, 2));
    e.method = static_cast<uint32_t>(rd(d, p + 10, 2));
    e.crc = static_cast<uint32_t>(rd(d, p + 16, 4));
    e.csize = rd(d, p + 20, 4);
    e.usize = rd(d, p + 24, 4);
    e.offset = rd(d, p + 42, 4);
    e.name.assign(d + p + kCentralLen, nl);
    read_zip64_extra(d + p + kCentralLen + nl, el, e, name);
    entries.push_back(std::move(e));
    p += kCentralLen + nl + el + cl;
  }
  return entries;
}

void inflate_raw(const char* src, uint64_t csize, char* dst, uint64_t usize, const std::string& where) {
  z_stream s{};
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK) fail(where, "zlib inflateInit2 failed");
  struct End { z_stream* s; ~End() { inflateEnd(s); } } end{&s};
  const uInt chunk = 1u << 30;  // zlib counts in uInt
  uint64_t in_left = csize, out_left = usize;
  char spare = 0;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(src));
  s.next_out = reinterpret_cast<Bytef*>(usize ? dst : &spare);
  for (;;) {
    if (s.avail_in == 0 && in_left > 0) {
      s.avail_in = static_cast<uInt>(in_left < chunk ? in_left : chunk);
      in_left -= s.avail_in;
    }
    if (s.avail_out == 0 && out_left > 0) {
      s.avail_out = static_cast<uInt>(out_left < chunk ? out_left : chunk);
      out_left -= s.avail_out;
    }
    const int ret = inflate(&s, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) break;
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && s.avail_out == 0 && out_left == 0)
      fail(where, "corrupt member: inflates to more than the " + std::to_string(usize) + " bytes recorded");
    if (ret == Z_BUF_ERROR) fail(where, "corrupt member: compressed data ends early");
    fail(where, std::string("corrupt member: bad deflate data (") + (s.msg ? s.msg : "zlib error") + ")");
  }
  if (s.total_out != usize || s.avail_out != 0 || out_left != 0)
    fail(where, "corrupt member: inflates to " + std::to_string(s.total_out) + " bytes, the directory says " + std::to_string(usize));
}

// The uncompressed bytes of one member, after checking its local header, size and CRC.
std::vector<char> extract(const char* d, size_t size, const Entry& e, const std::string& name) {
  const std::string where = name + ": " + shown(e.name);
  if (e.flags & 1) fail(where, "encrypted members are unsupported");
  if (e.method != 0 && e.method != 8)
    fail(where, "compression method " + std::to_string(e.method) + " is unsupported (stored and deflate are read)");
  if (e.offset > size || size - e.offset < kLocalLen || rd(d, e.offset, 4) != kLocalSig)
    fail(where, "corrupt zip: no local file header at offset " + std::to_string(e.offset));
  const size_t start = static_cast<size_t>(e.offset) + kLocalLen + rd(d, e.offset + 26, 2) + rd(d, e.offset + 28, 2);
  if (start > size || size - start < e.csize)
    fail(where, "truncated: " + std::to_string(e.csize) + " bytes of member data do not fit in the file");
  if (rd(d, e.offset + 8, 2) != e.method) fail(where, "corrupt zip: local header and directory disagree on the method");
  if ((e.method == 0 && e.usize != e.csize) || e.usize > e.csize * kMaxDeflateRatio + 1024)
    fail(where, "corrupt zip: " + std::to_string(e.csize) + " compressed bytes cannot hold " + std::to_string(e.usize));

  std::vector<char> out(static_cast<size_t>(e.usize));
  if (e.method == 0) std::copy_n(d + start, out.size(), out.data());
  else inflate_raw(d + start, e.csize, out.data(), e.usize, where);
  const uint32_t crc = static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(out.data()), out.size()));
  if (crc != e.crc) fail(where, "corrupt member: CRC mismatch");
  return out;
}

// ---- writing ----

void put(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::vector<char> deflate_raw(const std::vector<char>& in, const std::string& where) {
  z_stream s{};
  if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    fail(where, "zlib deflateInit2 failed");
  std::vector<char> out(deflateBound(&s, static_cast<uLong>(in.size())));
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  if (ret != Z_STREAM_END) fail(where, "zlib deflate failed");
  return out;
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
  for (const Entry& e : read_central_directory(data, size, name)) {
    if (e.name.size() <= 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) continue;
    const std::string key = e.name.substr(0, e.name.size() - 4);
    if (arrays.count(key)) fail(name, "member " + shown(e.name) + " appears twice");
    const std::vector<char> bytes = extract(data, size, e, name);
    arrays.emplace(key, parse_npy(bytes.data(), bytes.size(), name + ": " + shown(e.name)));
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

void save_zip(const std::string& path, const std::vector<std::pair<std::string, std::vector<char>>>& files, bool compress) {
  std::FILE* raw_file = std::fopen(path.c_str(), "wb");
  if (!raw_file) fail(path, std::string("cannot open for writing: ") + std::strerror(errno));
  struct Closer { void operator()(std::FILE* f) const { std::fclose(f); } };
  std::unique_ptr<std::FILE, Closer> f(raw_file);
  uint64_t offset = 0;
  bool ok = true;
  auto write = [&](const void* p, size_t n) {
    ok = ok && (n == 0 || std::fwrite(p, 1, n, f.get()) == n);
    offset += n;
  };
  std::string central;
  for (const auto& [file, raw] : files) {
    const std::vector<char> packed = compress ? deflate_raw(raw, path) : std::vector<char>();
    const std::vector<char>& body = compress ? packed : raw;
    if (offset > 0xfffffffeu || body.size() > 0xfffffffeu || raw.size() > 0xfffffffeu || file.size() > 0xffff)
      fail(path, "archive too large for this writer (no zip64 output)");
    const uint32_t crc = static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(raw.data()), raw.size()));
    std::string common;  // version needed .. extra length, shared by both headers
    put(common, 20, 2);
    put(common, 0, 2);                  // flags
    put(common, compress ? 8 : 0, 2);   // method
    put(common, 0, 2);                  // time 00:00
    put(common, 0x21, 2);               // date 1980-01-01
    put(common, crc, 4);
    put(common, body.size(), 4);
    put(common, raw.size(), 4);
    put(common, file.size(), 2);
    put(common, 0, 2);                  // extra length
    std::string local;
    put(local, kLocalSig, 4);
    local += common + file;
    put(central, kCentralSig, 4);
    put(central, 20, 2);                // version made by
    central += common;
    put(central, 0, 2);                 // comment length
    put(central, 0, 2);                 // disk
    put(central, 0, 2);                 // internal attributes
    put(central, 0, 4);                 // external attributes
    put(central, offset, 4);
    central += file;
    write(local.data(), local.size());
    write(body.data(), body.size());
  }
  std::string end;
  put(end, kEndSig, 4);
  put(end, 0, 4);                       // disk numbers
  put(end, files.size(), 2);
  put(end, files.size(), 2);
  put(end, central.size(), 4);
  put(end, offset, 4);
  put(end, 0, 2);                       // comment length
  write(central.data(), central.size());
  write(end.data(), end.size());
  if (std::fclose(f.release()) != 0 || !ok) fail(path, std::string("write failed: ") + std::strerror(errno));
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
