// .npy reading and writing: the header (magic, version, length, Python dict), the dtype table,
// the size check before any allocation, and the element conversions. See npy.hpp.
#include "io/npy.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>

#include "autograd/error.hpp"
#include "io/file.hpp"
#include "io/map_guard.hpp"

namespace gatgrad {

static_assert(std::endian::native == std::endian::little, ".npy data is read as little-endian");
static_assert(sizeof(bool) == 1, "|b1 is written straight from bool");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;        // NumPy aligns the data to 64 bytes
constexpr size_t kGrowthDigits = 21;  // NumPy leaves room for the first axis to grow in place

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw DataError(name + ": " + what);
}

// Bytes shown in a message: printable ASCII as is, the rest as \xNN, at most `limit` bytes.
std::string escaped(std::string_view s, size_t limit = 80) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > limit) out += "...";
  return out;
}

// ---- dtypes ----

struct Dtype {
  char kind = 0;         // f i u b S U
  int64_t itemsize = 0;  // bytes per element
};

const char* kSupported = "<f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1 |S<n> <U<n>";

// Parses a NumPy descr such as "<f4", "|b1", "|S3", "<U3".
Dtype parse_dtype(const std::string& descr, const std::string& name) {
  const std::string quoted = "'" + escaped(descr) + "'";
  if (descr.size() < 3) fail(name, "unsupported dtype " + quoted + " (supported: " + kSupported + ")");
  const char order = descr[0], kind = descr[1];
  const std::string digits = descr.substr(2);
  if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
    fail(name, "unsupported dtype " + quoted + " (supported: " + kSupported + ")");
  const int64_t n = std::stoll(digits);
  if (kind == 'O') fail(name, "object arrays (dtype " + quoted + ") are unsupported: they hold pickled Python objects");
  if (kind == 'f' && n == 2) fail(name, "float16 (dtype " + quoted + ") is unsupported: save the array as float32");
  const bool ok = (kind == 'f' && (n == 4 || n == 8)) ||
                  ((kind == 'i' || kind == 'u') && (n == 1 || n == 2 || n == 4 || n == 8)) ||
                  (kind == 'b' && n == 1) || ((kind == 'S' || kind == 'U') && n >= 1);
  if (!ok || (order != '<' && order != '>' && order != '|' && order != '='))
    fail(name, "unsupported dtype " + quoted + " (supported: " + kSupported + ")");
  const int64_t unit = kind == 'U' ? 4 : kind == 'S' ? 1 : n;  // byte order matters above 1 byte
  if (unit > 1 && order == '>')
    fail(name, "big-endian dtype " + quoted + " is unsupported: only little-endian data is read "
               "(save with arr.astype('<" + descr.substr(1) + "'))");
  if (unit > 1 && order == '|') fail(name, "unsupported dtype " + quoted + " (a multi-byte type needs a byte order)");
  return {kind, kind == 'U' ? 4 * n : n};
}

// Calls f.template operator()<T>() with the C++ type stored by a numeric dtype
// (bool is read as its byte, uint8_t).
template <class F>
void visit_numeric(const Dtype& d, F&& f) {
  switch (d.kind) {
    case 'f': return d.itemsize == 4 ? f.template operator()<float>() : f.template operator()<double>();
    case 'b': return f.template operator()<uint8_t>();
    case 'i':
      switch (d.itemsize) {
        case 1: return f.template operator()<int8_t>();
        case 2: return f.template operator()<int16_t>();
        case 4: return f.template operator()<int32_t>();
        default: return f.template operator()<int64_t>();
      }
    case 'u':
      switch (d.itemsize) {
        case 1: return f.template operator()<uint8_t>();
        case 2: return f.template operator()<uint16_t>();
        case 4: return f.template operator()<uint32_t>();
        default: return f.template operator()<uint64_t>();
      }
  }
}

template <class T>
T load_at(const char* bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

// numel * itemsize in bytes, or false when a partial product exceeds int64 (then numel(),
// whose partial products are no larger, cannot overflow either: (10^18, 10, 0) is refused).
bool byte_count(const std::vector<int64_t>& shape, int64_t itemsize, uint64_t& bytes) {
  int64_t n = itemsize;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return false;
  }
  bytes = n;
  return true;
}

}  // namespace

std::string shape_repr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

namespace {

// ---- the header ----

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// A parser for the one Python literal NumPy writes: {'descr': str, 'fortran_order': bool,
// 'shape': tuple of ints}. Any deviation is a "bad header" DataError quoting the header.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  Header parse() {
    Header h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() == '[') fail(name_, "structured dtypes (a list of fields) are unsupported");
        h.descr = parse_string();
        mark(seen_descr, key);
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
        mark(seen_order, key);
      } else if (key == "shape") {
        h.shape = parse_shape();
        mark(seen_shape, key);
      } else {
        bad("unexpected key '" + escaped(key) + "'");
      }
      skip_ws();
      if (peek() == ',') ++pos_;
      else if (peek() != '}') bad("expected ',' or '}' after the value of '" + key + "'");
    }
    ++pos_;  // '}'
    skip_ws();
    if (pos_ != s_.size()) bad("unexpected text after the closing '}'");
    if (!seen_descr) bad("no 'descr' key");
    if (!seen_order) bad("no 'fortran_order' key");
    if (!seen_shape) bad("no 'shape' key");
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string& why) {
    fail(name_, "bad header: " + why + " at offset " + std::to_string(pos_) + " of \"" +
                    escaped(s_, 160) + "\"");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  void mark(bool& seen, const std::string& key) {
    if (seen) bad("duplicate key '" + key + "'");
    seen = true;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') bad("expected a quoted string");
    const size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    if (out.find('\\') != std::string::npos) bad("escape sequences are not expected");
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.substr(pos_, 4) == "True") { pos_ += 4; return true; }
    if (s_.substr(pos_, 5) == "False") { pos_ += 5; return false; }
    bad("expected True or False");
  }
  int64_t parse_dim() {
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    if (pos_ == start) bad("expected a non-negative dimension");
    if (pos_ - start > 18) bad("dimension too large");
    if (peek() == 'L') ++pos_;  // Python 2 long
    return std::stoll(std::string(s_.substr(start, pos_ - start)));
  }
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    skip_ws();
    while (peek() != ')') {
      if (shape.size() >= 64) bad("more than 64 dimensions");
      shape.push_back(parse_dim());
      skip_ws();
      if (peek() == ',') { ++pos_; skip_ws(); }
      else if (peek() != ')') bad("expected ',' or ')' in the shape");
    }
    ++pos_;
    return shape;
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
};

// Size of magic + version + length field + header, read from the first min(size, 12) bytes of
// a file of `total` bytes. Checks the magic, the version and that the header fits in the file.
size_t header_size(const char* prefix, size_t prefix_len, uint64_t total, const std::string& name) {
  if (total == 0) fail(name, "empty file (0 bytes), not a .npy array");
  const size_t m = prefix_len < kMagicLen ? prefix_len : kMagicLen;
  if (std::memcmp(prefix, kMagic, m) != 0) {
    std::string hint = (prefix_len >= 2 && prefix[0] == 'P' && prefix[1] == 'K') ? " (it looks like a zip/.npz file)" : "";
    fail(name, "not a .npy file: bad magic: starts with \"" + escaped({prefix, m}) +
                   "\", expected \"\\x93NUMPY\"" + hint);
  }
  if (prefix_len < 8) fail(name, "truncated header: the file is only " + std::to_string(total) + " bytes");
  const int major = static_cast<unsigned char>(prefix[6]), minor = static_cast<unsigned char>(prefix[7]);
  if (major < 1 || major > 3 || minor != 0)
    fail(name, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  const size_t pre = major == 1 ? 10 : 12;
  if (prefix_len < pre) fail(name, "truncated header: the file is only " + std::to_string(total) + " bytes");
  uint64_t len = 0;
  if (major == 1) len = load_at<uint16_t>(prefix + 8, 0);
  else len = load_at<uint32_t>(prefix + 8, 0);
  if (total - pre < len)
    fail(name, "truncated header: the header length says " + std::to_string(len) + " bytes, only " +
                   std::to_string(total - pre) + " follow");
  return pre + static_cast<size_t>(len);
}

// Parses the header and returns an array with no data yet, after checking that the data
// holds exactly numel * itemsize bytes (`data_bytes` is what the file has after the header).
NpyArray start_array(const char* text, size_t len, uint64_t data_bytes, const std::string& name) {
  Header h = HeaderParser(std::string_view(text, len), name).parse();
  const Dtype d = parse_dtype(h.descr, name);
  int64_t long_dims = 0;
  for (int64_t x : h.shape) long_dims += x > 1;
  if (h.fortran_order && long_dims > 1)
    fail(name, "Fortran-order arrays are unsupported: save with np.ascontiguousarray(a) (shape " +
                   shape_repr(h.shape) + ")");
  uint64_t expected = 0;
  if (!byte_count(h.shape, d.itemsize, expected))
    fail(name, "shape " + shape_repr(h.shape) + " of " + h.descr + " is too large (more than 2^63 bytes)");
  if (data_bytes < expected)
    fail(name, "truncated: expected " + std::to_string(expected) + " bytes of data, found " +
                   std::to_string(data_bytes));
  if (data_bytes > expected)
    fail(name, "expected " + std::to_string(expected) + " bytes of data, found " +
                   std::to_string(data_bytes) + " (" + std::to_string(data_bytes - expected) +
                   " extra bytes after the array)");
  NpyArray a;
  a.name = name;
  a.dtype = h.descr;
  a.shape = std::move(h.shape);
  return a;
}

// The dict, growth padding, alignment padding and '\n', exactly as NumPy's _write_array_header.
std::string header_bytes(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  if (!shape.empty()) dict.append(kGrowthDigits - std::to_string(shape[0]).size(), ' ');
  for (int version : {1, 2}) {
    const size_t pre = version == 1 ? 10 : 12, hlen = dict.size() + 1;
    const size_t pad = kAlign - (pre + hlen) % kAlign;
    const size_t total = hlen + pad;
    if (version == 1 && total > 0xffff) continue;
    std::string out(kMagic, kMagicLen);
    out += static_cast<char>(version);
    out += '\0';
    for (size_t i = 0; i < (version == 1 ? 2u : 4u); ++i) out += static_cast<char>((total >> (8 * i)) & 0xff);
    out += dict;
    out.append(pad, ' ');
    out += '\n';
    return out;
  }
  return {};  // unreachable: shapes have at most 64 dims of at most 19 digits
}

// Checks dtype and shape for writing and returns the data size in bytes.
uint64_t checked_size(const std::string& name, const std::string& descr, const std::vector<int64_t>& shape) {
  const Dtype d = parse_dtype(descr, name);
  uint64_t bytes = 0;
  if (shape.size() > 64 || !byte_count(shape, d.itemsize, bytes))
    fail(name, "cannot write shape " + shape_repr(shape));
  return bytes;
}

// The header and the data, written whole or not at all (io/file.hpp's AtomicFile).
void write_file(const std::string& path, const std::string& header, const void* data, uint64_t bytes) {
  AtomicFile f(path);
  f.write(header);
  if (bytes > 0) f.write(data, static_cast<size_t>(bytes));
  f.commit();
}

void save_raw(const std::string& path, const std::string& descr, const void* data, const std::vector<int64_t>& shape) {
  const uint64_t bytes = checked_size(path, descr, shape);
  write_file(path, header_bytes(descr, shape), data, bytes);
}

}  // namespace

// ---- NpyArray ----

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}
int64_t NpyArray::itemsize() const { return parse_dtype(dtype, name).itemsize; }
char NpyArray::kind() const { return parse_dtype(dtype, name).kind; }
std::string NpyArray::shape_str() const { return shape_repr(shape); }

namespace {

template <class Out>
std::vector<Out> to_numeric(const NpyArray& a, const char* what) {
  const Dtype d = parse_dtype(a.dtype, a.name);
  if (d.kind == 'S' || d.kind == 'U') fail(a.name, std::string("expected ") + what + ", found dtype " + a.dtype);
  const int64_t n = a.numel();
  std::vector<Out> out(static_cast<size_t>(n));
  const char* src = a.bytes.data();
  visit_numeric(d, [&]<class T>() {
    if constexpr (std::is_same_v<T, Out>) {
      if (n > 0) std::memcpy(out.data(), src, static_cast<size_t>(n) * sizeof(T));
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(load_at<T>(src, i));
    }
  });
  if (d.kind == 'b')
    for (Out& v : out) v = v != Out(0);
  return out;
}

}  // namespace

std::vector<float> NpyArray::to_float() const { return to_numeric<float>(*this, "a numeric array"); }
std::vector<double> NpyArray::to_double() const { return to_numeric<double>(*this, "a numeric array"); }

std::vector<int64_t> NpyArray::to_int64() const {
  const Dtype d = parse_dtype(dtype, name);
  if (d.kind == 'f' || d.kind == 'S' || d.kind == 'U')
    fail(name, "expected an integer array, found dtype " + dtype);
  if (d.kind == 'u' && d.itemsize == 8) {
    for (int64_t i = 0; i < numel(); ++i) {
      const uint64_t v = load_at<uint64_t>(bytes.data(), i);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(name, "element " + std::to_string(i) + " = " + std::to_string(v) + " does not fit in int64");
    }
  }
  return to_numeric<int64_t>(*this, "an integer array");
}

std::vector<uint8_t> NpyArray::to_bool() const {
  const Dtype d = parse_dtype(dtype, name);
  if (d.kind == 'b') return to_numeric<uint8_t>(*this, "a boolean array");
  if (d.kind != 'i' && d.kind != 'u') fail(name, "expected a boolean array, found dtype " + dtype);
  const std::vector<int64_t> v = to_int64();
  std::vector<uint8_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != 0 && v[i] != 1)
      fail(name, "expected a boolean array: element " + std::to_string(i) + " = " + std::to_string(v[i]) + " is not 0 or 1");
    out[i] = static_cast<uint8_t>(v[i]);
  }
  return out;
}

std::vector<std::string> NpyArray::to_strings() const {
  const Dtype d = parse_dtype(dtype, name);
  if (d.kind != 'S' && d.kind != 'U') fail(name, "expected a string array, found dtype " + dtype);
  std::vector<std::string> out;
  const int64_t n = numel();
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const char* p = bytes.data() + i * d.itemsize;
    std::string s;
    if (d.kind == 'S') {
      s.assign(p, static_cast<size_t>(d.itemsize));
    } else {
      for (int64_t k = 0; k < d.itemsize / 4; ++k) {
        const uint32_t c = load_at<uint32_t>(p, k);
        if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
          fail(name, "element " + std::to_string(i) + " holds an invalid code point");
        if (c < 0x80) {
          s += static_cast<char>(c);
        } else if (c < 0x800) {
          s += static_cast<char>(0xc0 | (c >> 6));
          s += static_cast<char>(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
          s += static_cast<char>(0xe0 | (c >> 12));
          s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
          s += static_cast<char>(0x80 | (c & 0x3f));
        } else {
          s += static_cast<char>(0xf0 | (c >> 18));
          s += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
          s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
          s += static_cast<char>(0x80 | (c & 0x3f));
        }
      }
    }
    while (!s.empty() && s.back() == '\0') s.pop_back();
    out.push_back(std::move(s));
  }
  return out;
}

// ---- reading ----

NpyArray parse_npy(const char* data, size_t size, const std::string& name) {
  const size_t prefix = size < 12 ? size : 12;
  const size_t hs = header_size(data, prefix, size, name);
  const size_t pre = static_cast<unsigned char>(data[6]) == 1 ? 10 : 12;
  NpyArray a = start_array(data + pre, hs - pre, size - hs, name);
  a.bytes.assign(data + hs, data + size);
  return a;
}

namespace {

// The header of the .npy file `f` (`total` bytes, named `path`): the array without its data,
// its shape checked against the size; `data_offset` gets where the data starts.
NpyArray read_header(File& f, uint64_t total, const std::string& path, size_t& data_offset) {
  char prefix[12] = {};
  const size_t want = total < 12 ? static_cast<size_t>(total) : 12;
  if (std::fread(prefix, 1, want, f.get()) != want) fail(path, "read error");
  const size_t hs = header_size(prefix, want, total, path);
  const size_t pre = static_cast<unsigned char>(prefix[6]) == 1 ? 10 : 12;

  std::string text(hs - pre, '\0');
  if (std::fseek(f.get(), static_cast<long>(pre), SEEK_SET) != 0 ||
      std::fread(text.data(), 1, text.size(), f.get()) != text.size())
    fail(path, "read error in the header");
  data_offset = hs;
  return start_array(text.data(), text.size(), total - hs, path);
}

}  // namespace

NpyArray load_npy(const std::string& path) {
  uint64_t total = 0;
  File f = open_regular_file(path, total);
  size_t hs = 0;
  NpyArray a = read_header(f, total, path, hs);
  a.bytes.resize(static_cast<size_t>(total - hs));  // checked against the shape above
  const size_t read = std::fread(a.bytes.data(), 1, a.bytes.size(), f.get());
  if (read != a.bytes.size())
    fail(path, "truncated: expected " + std::to_string(a.bytes.size()) + " bytes of data, found " +
                   std::to_string(read) + " (the file shrank while being read)");
  return a;
}

NpyArray read_npy_header(const std::string& path) {
  uint64_t total = 0;
  File f = open_regular_file(path, total);
  size_t hs = 0;
  return read_header(f, total, path, hs);
}

MappedNpy map_npy(const std::string& path) {
  uint64_t total = 0;
  File f = open_regular_file(path, total);
  size_t hs = 0;
  NpyArray a = read_header(f, total, path, hs);  // shape checked against the size
  void* base = ::mmap(nullptr, static_cast<size_t>(total), PROT_READ, MAP_PRIVATE, ::fileno(f.get()), 0);
  if (base == MAP_FAILED) fail(path, std::string("cannot be mapped into memory: ") + std::strerror(errno));
  const size_t length = static_cast<size_t>(total);
  // The size again, now that the mapping holds the file: one cut short between the header's
  // check and the mapping is refused here; one cut short later ends the process with a message
  // naming it (io/map_guard.hpp) instead of an anonymous SIGBUS.
  struct stat now {};
  if (::fstat(::fileno(f.get()), &now) != 0 || static_cast<uint64_t>(now.st_size) < total) {
    ::munmap(base, length);
    fail(path, "truncated while being mapped: " + std::to_string(total) + " bytes when its header was read, " +
                   std::to_string(now.st_size) + " now");
  }
  const int guard = guard_mapping(base, length, path);
  MappedNpy m;
  m.name = path;
  m.dtype = std::move(a.dtype);
  m.shape = std::move(a.shape);
  m.data = static_cast<const char*>(base) + hs;
  m.bytes = length - hs;
  m.offset = hs;
  m.mapping = std::shared_ptr<const void>(base, [length, guard](const void* p) {
    unguard_mapping(guard);
    ::munmap(const_cast<void*>(p), length);
  });
  return m;
}

// ---- writing ----

NpyArray make_npy(const std::string& dtype, const void* data, const std::vector<int64_t>& shape) {
  NpyArray a;
  a.name = "make_npy";
  const uint64_t bytes = checked_size(a.name, dtype, shape);
  a.dtype = dtype;
  a.shape = shape;
  a.bytes.resize(static_cast<size_t>(bytes));
  if (bytes > 0) std::memcpy(a.bytes.data(), data, static_cast<size_t>(bytes));
  return a;
}

std::vector<char> serialize_npy(const NpyArray& array) {
  const uint64_t bytes = checked_size(array.name, array.dtype, array.shape);
  if (bytes != array.bytes.size())
    fail(array.name, "holds " + std::to_string(array.bytes.size()) + " bytes but shape " +
                         shape_repr(array.shape) + " of " + array.dtype + " needs " + std::to_string(bytes));
  const std::string header = header_bytes(array.dtype, array.shape);
  std::vector<char> out(header.begin(), header.end());
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  return out;
}

void save_npy(const std::string& path, const NpyArray& array) {
  const uint64_t bytes = checked_size(path, array.dtype, array.shape);
  if (bytes != array.bytes.size())
    fail(path, "array holds " + std::to_string(array.bytes.size()) + " bytes but shape " +
                   shape_repr(array.shape) + " of " + array.dtype + " needs " + std::to_string(bytes));
  write_file(path, header_bytes(array.dtype, array.shape), array.bytes.data(), bytes);
}

void save_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) { save_raw(path, "<f4", data, shape); }
void save_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape) { save_raw(path, "<f8", data, shape); }
void save_npy(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape) { save_raw(path, "<i8", data, shape); }
void save_npy(const std::string& path, const int32_t* data, const std::vector<int64_t>& shape) { save_raw(path, "<i4", data, shape); }
void save_npy(const std::string& path, const int8_t* data, const std::vector<int64_t>& shape) { save_raw(path, "|i1", data, shape); }
void save_npy(const std::string& path, const uint8_t* data, const std::vector<int64_t>& shape) { save_raw(path, "|u1", data, shape); }
void save_npy(const std::string& path, const bool* data, const std::vector<int64_t>& shape) { save_raw(path, "|b1", data, shape); }

}  // namespace gatgrad
