// Zip archives: the reader (PKWARE APPNOTE: end-of-central-directory and zip64 records, the
// central directory, local file headers) and the writer, with zlib's raw inflate and deflate.
// See zip.hpp.
#include "io/zip.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <zlib.h>

#include "autograd/error.hpp"
#include "io/file.hpp"

namespace gatgrad {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalLen = 30, kCentralLen = 46, kEndLen = 22;
constexpr uint64_t kMaxDeflateRatio = 1032;  // deflate never expands a byte into more than ~1032

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw DataError(name + ": " + what);
}

// Little-endian reads at a byte offset; callers check the bounds first.
uint64_t rd(const char* p, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[off + i]);
  return v;
}

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
void read_zip64_extra(const char* extra, size_t len, ZipEntry& e, const std::string& name) {
  for (size_t p = 0; p + 4 <= len;) {
    const uint64_t id = rd(extra, p, 2), sz = rd(extra, p + 2, 2);
    if (p + 4 + sz > len) fail(name, zip_display_name(e.name) + ": corrupt extra field in the central directory");
    if (id == 1) {
      size_t q = p + 4;
      for (uint64_t* field : {&e.usize, &e.csize, &e.offset}) {
        if (*field != 0xffffffffu) continue;
        if (q + 8 > p + 4 + sz) fail(name, zip_display_name(e.name) + ": zip64 extra field too short");
        *field = rd(extra, q, 8);
        q += 8;
      }
    }
    p += 4 + sz;
  }
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

}  // namespace

// ---- reading ----

std::string zip_display_name(const std::string& s) {
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

std::vector<ZipEntry> read_zip_directory(const char* d, size_t size, const std::string& name) {
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

  std::vector<ZipEntry> entries;
  entries.reserve(static_cast<size_t>(count));
  size_t p = static_cast<size_t>(cd_off);
  const size_t cd_end = static_cast<size_t>(cd_off + cd_size);
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < kCentralLen || rd(d, p, 4) != kCentralSig)
      fail(name, "corrupt zip: bad central directory entry " + std::to_string(i));
    const size_t nl = rd(d, p + 28, 2), el = rd(d, p + 30, 2), cl = rd(d, p + 32, 2);
    if (cd_end - p - kCentralLen < nl + el + cl) fail(name, "corrupt zip: central directory entry " + std::to_string(i) + " overruns");
    ZipEntry e;
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

std::vector<char> extract_zip_member(const char* d, size_t size, const ZipEntry& e, const std::string& name) {
  const std::string where = name + ": " + zip_display_name(e.name);
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

void save_zip(const std::string& path, const std::vector<std::pair<std::string, std::vector<char>>>& files, bool compress) {
  AtomicFile f(path);  // written whole or not at all
  uint64_t offset = 0;
  auto write = [&](const void* p, size_t n) {
    f.write(p, n);
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
  f.commit();
}

}  // namespace gatgrad
