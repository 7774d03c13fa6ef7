// The .npy, zip and .npz readers and writers (io/): round trips of every dtype, and every kind of broken file.
// To add a test: write a file into a TempDir (save_npy / save_npz, or raw bytes with write_file),
// then BOOST_CHECK_EXCEPTION(load..., DataError, message_has({path, "key words"})).
#define BOOST_TEST_MODULE npy
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "autograd/error.hpp"
#include "io/file.hpp"
#include "io/json.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
#include "io/zip.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

std::string as_string(const std::vector<char>& v) { return {v.begin(), v.end()}; }

struct SharedFile {
  std::string rel;
  boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
    const std::string dir = shared_dir();
    boost::test_tools::assertion_result r(!dir.empty() && fs::exists(fs::path(dir) / rel));
    if (!r) r.message() << "skipped: " << rel << " not found under the shared directory '" << dir
                        << "' (set GATGRAD_SHARED or GATGRAD_SHARED_DIR)";
    return r;
  }
};
std::string shared(const std::string& rel) { return (fs::path(shared_dir()) / rel).string(); }

// A valid 2x3 float32 file's bytes, to corrupt.
std::string small_npy() {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  return as_string(serialize_npy(make_npy("<f4", v, {2, 3})));
}

// The same file with its header dict replaced (the length field and padding recomputed).
std::string with_dict(const std::string& dict, const std::string& data, int version = 1) {
  std::string h = dict + "\n";
  const size_t pre = version == 1 ? 10 : 12;
  h.append((64 - (pre + h.size()) % 64) % 64, ' ');
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  const size_t len = h.size();
  for (size_t i = 0; i < (version == 1 ? 2u : 4u); ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + h + data;
}
const std::string k24Bytes(24, '\1');

}  // namespace

// ---------------------------------------------------------------- round trips

BOOST_AUTO_TEST_SUITE(round_trips)

template <class T>
void check_round_trip(const std::string& dtype, std::vector<T> values, std::vector<int64_t> shape) {
  TempDir dir;
  const std::string path = dir / "a.npy";
  if constexpr (std::is_same_v<T, bool>) {
    std::unique_ptr<bool[]> b(new bool[values.size()]);
    std::copy(values.begin(), values.end(), b.get());
    save_npy(path, b.get(), shape);
  } else {
    save_npy(path, values.data(), shape);
  }
  const NpyArray a = load_npy(path);
  BOOST_TEST(a.dtype == dtype);
  BOOST_TEST(a.shape == shape);
  BOOST_TEST(a.name == path);
  BOOST_REQUIRE_EQUAL(a.numel(), static_cast<int64_t>(values.size()));
  const std::vector<double> got = a.to_double();
  for (size_t i = 0; i < values.size(); ++i) BOOST_TEST(got[i] == static_cast<double>(values[i]));
  // The header is NumPy's: version 1.0, data aligned to 64 bytes, '\n' before the data.
  const std::string bytes = read_file(path);
  BOOST_TEST(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const size_t header = 10 + static_cast<unsigned char>(bytes[8]) + 256 * static_cast<unsigned char>(bytes[9]);
  BOOST_TEST(header % 64 == 0u);
  BOOST_TEST(bytes[header - 1] == '\n');
  BOOST_TEST(bytes.size() == header + values.size() * a.itemsize());
  // Parsing the same bytes from memory gives the same array.
  const NpyArray m = parse_npy(bytes.data(), bytes.size(), "mem");
  BOOST_TEST((m.bytes == a.bytes && m.shape == a.shape && m.dtype == a.dtype));
}

BOOST_AUTO_TEST_CASE(every_typed_writer) {
  check_round_trip<float>("<f4", {1.5f, -2.25f, 0.0f, 3e38f, 1e-40f, 7.0f}, {2, 3});
  check_round_trip<double>("<f8", {1e300, -0.5, 3.0}, {3});
  check_round_trip<int64_t>("<i8", {std::numeric_limits<int64_t>::min(), -1, 0, 1LL << 40}, {2, 2});
  check_round_trip<int32_t>("<i4", {-7, 2147483647, 0}, {3, 1});
  check_round_trip<int8_t>("|i1", {-128, 127, 0, 5}, {4});
  check_round_trip<uint8_t>("|u1", {0, 255, 17}, {1, 3});
  check_round_trip<bool>("|b1", {true, false, true, true}, {4});
}

BOOST_AUTO_TEST_CASE(shapes_zero_d_empty_and_three_d) {
  check_round_trip<float>("<f4", {42.0f}, {});
  check_round_trip<float>("<f4", {}, {0, 5});
  check_round_trip<int64_t>("<i8", {1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
}

BOOST_AUTO_TEST_CASE(other_dtypes_through_make_npy) {
  TempDir dir;
  const int16_t i2[3] = {-300, 0, 300};
  const uint16_t u2[2] = {65535, 1};
  const uint32_t u4[2] = {4000000000u, 2};
  const uint64_t u8[2] = {1ull << 62, 3};
  for (const NpyArray& a : {make_npy("<i2", i2, {3}), make_npy("<u2", u2, {2}), make_npy("<u4", u4, {2}),
                            make_npy("<u8", u8, {2})}) {
    save_npy(dir / "a.npy", a);
    const NpyArray b = load_npy(dir / "a.npy");
    BOOST_TEST((b.dtype == a.dtype && b.shape == a.shape && b.bytes == a.bytes));
  }
  BOOST_TEST(load_npy(dir / "a.npy").to_int64() == (std::vector<int64_t>{1LL << 62, 3}));
}

BOOST_AUTO_TEST_CASE(strings_bytes_and_unicode) {
  TempDir dir;
  save_npy(dir / "s.npy", make_npy("|S3", "csr", {}));
  BOOST_TEST(load_npy(dir / "s.npy").to_strings() == std::vector<std::string>{"csr"});
  const uint32_t u[6] = {'c', 's', 'r', 'a', 0, 0};  // "csr", "a" as <U3
  save_npy(dir / "u.npy", make_npy("<U3", u, {2}));
  BOOST_TEST(load_npy(dir / "u.npy").to_strings() == (std::vector<std::string>{"csr", "a"}));
}

BOOST_AUTO_TEST_CASE(conversions_check_their_dtype) {
  const float f[2] = {1.0f, 2.0f};
  const int64_t i[3] = {0, 1, 2};
  BOOST_CHECK_EXCEPTION(make_npy("<f4", f, {2}).to_int64(), DataError, message_has({"integer", "<f4"}));
  BOOST_CHECK_EXCEPTION(make_npy("<i8", i, {3}).to_bool(), DataError, message_has({"element 2", "not 0 or 1"}));
  BOOST_CHECK_EXCEPTION(make_npy("<i8", i, {3}).to_strings(), DataError, message_has({"string"}));
  BOOST_CHECK_EXCEPTION(make_npy("|S3", "csr", {}).to_float(), DataError, message_has({"|S3"}));
  const uint64_t big[1] = {~0ull};
  BOOST_CHECK_EXCEPTION(make_npy("<u8", big, {1}).to_int64(), DataError, message_has({"int64"}));
  BOOST_TEST(make_npy("<i8", i, {2}).to_bool() == (std::vector<uint8_t>{0, 1}));
}

BOOST_AUTO_TEST_CASE(numpy_files_are_reproduced_byte_for_byte,
                     *utf::precondition(SharedFile{"datasets/cora/train_mask.npy"})) {
  for (const char* f : {"datasets/cora/train_mask.npy", "datasets/cora/y.npy", "datasets/cora/edge_index.npy"}) {
    const std::string path = shared(f);
    BOOST_TEST(as_string(serialize_npy(load_npy(path))) == read_file(path), f);
  }
}

BOOST_AUTO_TEST_CASE(versions_two_and_three_are_read) {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  const std::string data(reinterpret_cast<const char*>(v), sizeof v);
  for (int version : {2, 3}) {
    const std::string bytes = with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data, version);
    const NpyArray a = parse_npy(bytes.data(), bytes.size(), "v.npy");
    BOOST_TEST(a.to_float() == std::vector<float>(v, v + 6));
  }
  // Python 2 longs, double quotes, no trailing comma, a one-dimension tuple without comma
  const std::string odd = with_dict("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(6L)}", data);
  BOOST_TEST(parse_npy(odd.data(), odd.size(), "v.npy").shape == std::vector<int64_t>{6});
}

BOOST_AUTO_TEST_CASE(writer_names_the_path_it_cannot_write) {
  const float v[1] = {1};
  BOOST_CHECK_EXCEPTION(save_npy("/nonexistent-dir/p.npy", v, {1}), DataError,
                        message_has({"/nonexistent-dir/p.npy", "cannot open for writing"}));
  BOOST_CHECK_EXCEPTION(save_npy("/tmp/x.npy", make_npy("<f4", v, {1}).to_float().data(), {-1}), DataError,
                        message_has({"/tmp/x.npy", "cannot write shape"}));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- broken .npy files

BOOST_AUTO_TEST_SUITE(broken_npy)

BOOST_AUTO_TEST_CASE(missing_and_empty_files) {
  TempDir dir;
  BOOST_CHECK_EXCEPTION(load_npy(dir / "none.npy"), DataError, message_has({dir / "none.npy", "missing file"}));
  write_file(dir / "empty.npy", "");
  BOOST_CHECK_EXCEPTION(load_npy(dir / "empty.npy"), DataError, message_has({dir / "empty.npy", "empty file"}));
  BOOST_CHECK_EXCEPTION(load_npy(dir.str()), DataError, message_has({"not a regular file"}));
}

BOOST_AUTO_TEST_CASE(truncated_and_oversized_data) {
  TempDir dir;
  const std::string good = small_npy();
  write_file(dir / "t.npy", good.substr(0, good.size() - 5));
  BOOST_CHECK_EXCEPTION(load_npy(dir / "t.npy"), DataError,
                        message_has({dir / "t.npy", "truncated: expected 24 bytes of data, found 19"}));
  write_file(dir / "t.npy", good + "xyz");
  BOOST_CHECK_EXCEPTION(load_npy(dir / "t.npy"), DataError, message_has({"found 27", "3 extra bytes"}));
  write_file(dir / "t.npy", good.substr(0, 40));
  BOOST_CHECK_EXCEPTION(load_npy(dir / "t.npy"), DataError, message_has({"truncated header"}));
  write_file(dir / "t.npy", good.substr(0, 7));
  BOOST_CHECK_EXCEPTION(load_npy(dir / "t.npy"), DataError, message_has({"truncated header"}));
}

BOOST_AUTO_TEST_CASE(bad_magic_and_version) {
  TempDir dir;
  std::string bad = small_npy();
  bad[1] = 'X';
  write_file(dir / "m.npy", bad);
  BOOST_CHECK_EXCEPTION(load_npy(dir / "m.npy"), DataError, message_has({dir / "m.npy", "bad magic"}));
  write_file(dir / "m.npy", "PK\x03\x04 this is a zip");
  BOOST_CHECK_EXCEPTION(load_npy(dir / "m.npy"), DataError, message_has({"bad magic", "zip"}));
  bad = small_npy();
  bad[6] = 4;
  write_file(dir / "m.npy", bad);
  BOOST_CHECK_EXCEPTION(load_npy(dir / "m.npy"), DataError, message_has({"version 4.0"}));
}

BOOST_AUTO_TEST_CASE(bad_header_dicts) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", "expected a quoted string"},
      {"not a dict at all", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': Nope, 'shape': (2, 3), }", "True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "non-negative dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", "expected '('"},
      {"{'descr': '<f4', 'fortran_order': False, }", "no 'shape' key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1, }", "unexpected key 'extra'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "duplicate key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } trailing", "after the closing"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3) 'x', }", "expected ','"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", "expected ',' or '}' after the value of 'descr'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3), }", "expected ':'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3), }", "dimension too large"},
  };
  for (const auto& [dict, words] : cases) {
    const std::string bytes = with_dict(dict, k24Bytes);
    BOOST_CHECK_EXCEPTION(parse_npy(bytes.data(), bytes.size(), "h.npy"), DataError,
                          message_has({"h.npy: bad header", words}));
  }
}

BOOST_AUTO_TEST_CASE(unsupported_dtypes_big_endian_and_fortran_order) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {">f4", {"big-endian", ">f4", "unsupported"}},
      {">i8", {"big-endian"}},
      {"|O", {"unsupported"}},
      {"|O8", {"object arrays", "unsupported"}},
      {"<c8", {"unsupported dtype '<c8'"}},
      {"<f2", {"float16", "unsupported"}},
      {"<M8[ns]", {"unsupported dtype"}},
      {"|f4", {"unsupported dtype"}},
  };
  for (const auto& [descr, words] : cases) {
    const std::string bytes = with_dict("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (6,), }", k24Bytes);
    for (const std::string& w : words)
      BOOST_CHECK_EXCEPTION(parse_npy(bytes.data(), bytes.size(), "d.npy"), DataError, message_has({"d.npy", w}));
  }
  std::string s = with_dict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", k24Bytes);
  BOOST_CHECK_EXCEPTION(parse_npy(s.data(), s.size(), "d.npy"), DataError, message_has({"structured", "unsupported"}));
  s = with_dict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", k24Bytes);
  BOOST_CHECK_EXCEPTION(parse_npy(s.data(), s.size(), "d.npy"), DataError, message_has({"d.npy", "Fortran-order", "unsupported"}));
  s = with_dict("{'descr': '<f4', 'fortran_order': True, 'shape': (6, 1), }", k24Bytes);  // same layout as C order
  BOOST_TEST(parse_npy(s.data(), s.size(), "d.npy").numel() == 6);
}

BOOST_AUTO_TEST_CASE(huge_shapes_fail_before_allocating) {
  for (const char* shape : {"(4611686018427387904, 4611686018427387904)", "(1000000000000,)", "(1000000, 1000000, 1000000, 1000000)"}) {
    const std::string s = with_dict(std::string("{'descr': '<f8', 'fortran_order': False, 'shape': ") + shape + ", }", k24Bytes);
    BOOST_CHECK_THROW(parse_npy(s.data(), s.size(), "h.npy"), DataError);
  }
}

// Random corruptions of valid files give an array or a DataError, never a crash or a hang.
// The zip layer under .npz on its own (io/zip.hpp): members listed and extracted as written.
BOOST_AUTO_TEST_CASE(zip_members_round_trip) {
  TempDir dir;
  const std::string path = dir / "a.zip";
  const std::vector<char> text = {'h', 'i', '\n'}, zeros(5000, '\0');
  for (bool compress : {false, true}) {
    save_zip(path, {{"notes.txt", text}, {"zeros.bin", zeros}, {"empty", {}}}, compress);
    const std::vector<char> bytes = read_whole_file(path);
    const std::vector<ZipEntry> entries = read_zip_directory(bytes.data(), bytes.size(), path);
    BOOST_TEST_REQUIRE(entries.size() == 3u);
    BOOST_TEST(entries[0].name == "notes.txt");
    BOOST_TEST(entries[1].method == (compress ? 8u : 0u));
    BOOST_TEST(entries[1].usize == 5000u);
    BOOST_TEST((extract_zip_member(bytes.data(), bytes.size(), entries[0], path) == text));
    BOOST_TEST((extract_zip_member(bytes.data(), bytes.size(), entries[1], path) == zeros));
    BOOST_TEST(extract_zip_member(bytes.data(), bytes.size(), entries[2], path).empty());
  }
  BOOST_TEST(zip_display_name(std::string("a\0b\x7f", 4)) == "a\\x00b\\x7f");
}

// The JSON helpers (io/json.hpp): errors name the source, files go through read_whole_file.
BOOST_AUTO_TEST_CASE(json_helpers_name_the_source) {
  TempDir dir;
  BOOST_TEST(parse_json("{\"b\": 1, \"a\": [2]}", "x").dump() == "{\"b\":1,\"a\":[2]}");  // keys as written
  BOOST_CHECK_EXCEPTION(parse_json("{\"a\":", "cfg/x.json"), DataError, message_has({"cfg/x.json: invalid JSON"}));
  BOOST_TEST(json_error("[1, 2]").empty());
  BOOST_TEST(!json_error("[1, ").empty());
  const std::string path = dir / "x.json";
  BOOST_CHECK_EXCEPTION(read_json_file(path), DataError, message_has({path, "missing file"}));
  write_file(path, "{\"epoch\": 3}");
  BOOST_TEST(read_json_file(path).at("epoch").get<int>() == 3);
  write_file(path, "not json");
  BOOST_CHECK_EXCEPTION(read_json_file(path), DataError, message_has({path + ": invalid JSON"}));
}

BOOST_AUTO_TEST_CASE(random_corruption_never_crashes) {
  std::mt19937 rng(12345);
  const std::string good = small_npy();
  int errors = 0;
  for (int it = 0; it < 20000; ++it) {
    std::string s = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) s.resize(rng() % (s.size() + 1));
    try {
      parse_npy(s.data(), s.size(), "fuzz.npy");
    } catch (const DataError& e) {
      ++errors;
      BOOST_REQUIRE(std::string(e.what()).rfind("fuzz.npy: ", 0) == 0);
    }
  }
  BOOST_TEST(errors > 1000);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- .npz archives

BOOST_AUTO_TEST_SUITE(npz)

// A 3x4 CSR matrix in scipy's save_npz layout:  [[1 0 2 0] [0 0 0 0] [0 3 0 4]]
std::vector<std::pair<std::string, NpyArray>> scipy_members(const std::string& format_dtype = "|S3") {
  const int32_t indptr[4] = {0, 2, 2, 4}, indices[4] = {0, 2, 1, 3};
  const float data[4] = {1, 2, 3, 4};
  const int64_t shape[2] = {3, 4};
  const uint32_t csr_u[3] = {'c', 's', 'r'};
  return {{"indices", make_npy("<i4", indices, {4})},
          {"indptr", make_npy("<i4", indptr, {4})},
          {"format", format_dtype == "|S3" ? make_npy("|S3", "csr", {}) : make_npy("<U3", csr_u, {})},
          {"shape", make_npy("<i8", shape, {2})},
          {"data", make_npy("<f4", data, {4})}};
}

void replace(std::vector<std::pair<std::string, NpyArray>>& m, const std::string& key, NpyArray a) {
  for (auto& [k, v] : m)
    if (k == key) v = std::move(a);
}

BOOST_AUTO_TEST_CASE(stored_and_deflated_round_trips) {
  TempDir dir;
  for (bool compress : {false, true}) {
    save_npz(dir / "a.npz", scipy_members(), compress);
    const auto m = load_npz(dir / "a.npz");
    BOOST_TEST(m.size() == 5u);
    BOOST_TEST(m.at("indptr").to_int64() == (std::vector<int64_t>{0, 2, 2, 4}));
    BOOST_TEST(m.at("format").to_strings() == std::vector<std::string>{"csr"});
    BOOST_TEST(m.at("data").name == dir / "a.npz" + ": data.npy");
  }
}

// The matrix of scipy_members() as scipy writes it from a COO matrix (entries in any order; here
// the (2, 3) value is stored twice, 1.5 + 2.5, which scipy reads as their sum) and from a CSC one.
std::vector<std::pair<std::string, NpyArray>> scipy_coo_members() {
  const int32_t row[5] = {2, 0, 2, 2, 0}, col[5] = {3, 2, 1, 3, 0};
  const float data[5] = {1.5f, 2, 3, 2.5f, 1};
  const int64_t shape[2] = {3, 4};
  return {{"row", make_npy("<i4", row, {5})},
          {"col", make_npy("<i4", col, {5})},
          {"format", make_npy("|S3", "coo", {})},
          {"shape", make_npy("<i8", shape, {2})},
          {"data", make_npy("<f4", data, {5})}};
}
std::vector<std::pair<std::string, NpyArray>> scipy_csc_members() {
  const int32_t indptr[5] = {0, 1, 2, 3, 4}, indices[4] = {0, 2, 0, 2};
  const float data[4] = {1, 3, 2, 4};
  const int64_t shape[2] = {3, 4};
  return {{"indices", make_npy("<i4", indices, {4})},
          {"indptr", make_npy("<i4", indptr, {5})},
          {"format", make_npy("|S3", "csc", {})},
          {"shape", make_npy("<i8", shape, {2})},
          {"data", make_npy("<f4", data, {4})}};
}

// The CSR file (format as bytes or as unicode), and the same matrix from COO and CSC.
BOOST_AUTO_TEST_CASE(scipy_csr_is_read_and_checked) {
  TempDir dir;
  for (const auto& members : {scipy_members("|S3"), scipy_members("<U3"), scipy_coo_members(), scipy_csc_members()}) {
    save_npz(dir / "x.npz", members);
    const CsrMatrix m = load_scipy_csr_npz(dir / "x.npz");
    BOOST_TEST(m.rows == 3);
    BOOST_TEST(m.cols == 4);
    BOOST_TEST(m.indptr == (std::vector<int64_t>{0, 2, 2, 4}));
    BOOST_TEST(m.indices == (std::vector<int32_t>{0, 2, 1, 3}));
    BOOST_TEST(m.values == (std::vector<float>{1, 2, 3, 4}));
  }
}

// One member of a matrix's members replaced: loading fails naming the file and `words`.
struct MemberCase {
  std::string member;
  NpyArray array;
  std::vector<std::string> words;
};
void expect_member_errors(const std::vector<std::pair<std::string, NpyArray>>& base, const std::vector<MemberCase>& cases,
                          const std::string& path) {
  for (const MemberCase& c : cases) {
    auto members = base;
    replace(members, c.member, c.array);
    save_npz(path, members);
    std::vector<std::string> words = c.words;
    words.push_back(path);
    for (const std::string& w : words)
      BOOST_CHECK_EXCEPTION(load_scipy_csr_npz(path), DataError, message_has({w}));
  }
}

BOOST_AUTO_TEST_CASE(inconsistent_csr_members_are_named) {
  TempDir dir;
  const std::string path = dir / "x.npz";
  const int64_t non_monotone[4] = {0, 3, 2, 4}, bad_end[4] = {0, 2, 2, 3}, bad_start[4] = {1, 2, 2, 4};
  const int64_t bad_indices[4] = {0, 2, 1, 4}, negative_index[4] = {0, -1, 1, 3}, shape3[3] = {3, 4, 5};
  const float nan_data[4] = {1, NAN, 3, 4};
  const float short_data[3] = {1, 2, 3};
  const std::vector<MemberCase> cases = {
      {"indptr", make_npy("<i8", non_monotone, {4}), {"indptr.npy", "indptr[2] = 2 is below indptr[1] = 3", "non-decreasing"}},
      {"indptr", make_npy("<i8", bad_end, {4}), {"indptr.npy", "indptr[3] = 3, expected nnz = 4"}},
      {"indptr", make_npy("<i8", bad_start, {4}), {"indptr.npy", "indptr[0] = 1, expected 0"}},
      {"indptr", make_npy("<i8", bad_start, {3}), {"indptr.npy", "has 3 entries, expected rows + 1 = 4"}},
      {"indices", make_npy("<i8", bad_indices, {4}), {"indices.npy", "indices[3] = 4", "outside [0, 4)"}},
      {"indices", make_npy("<i8", negative_index, {4}), {"indices.npy", "indices[1] = -1"}},
      {"data", make_npy("<f4", nan_data, {4}), {"data.npy", "NaN", "row 0, column 2"}},
      {"data", make_npy("<f4", short_data, {3}), {"data.npy", "has 3 entries"}},
      {"shape", make_npy("<i8", shape3, {3}), {"shape.npy", "has 3 entries, expected rows and cols = 2"}},
      {"format", make_npy("|S3", "bsr", {}), {"format.npy", "format is 'bsr'", "only csr, csc and coo"}},
      {"format", make_npy("<f4", short_data, {1}), {"format.npy", "expected a string array"}},
  };
  expect_member_errors(scipy_members(), cases, path);
  auto members = scipy_members();
  members.erase(members.begin() + 1);  // no indptr
  save_npz(path, members);
  BOOST_CHECK_EXCEPTION(load_scipy_csr_npz(path), DataError, message_has({path, "no member indptr.npy"}));
}

BOOST_AUTO_TEST_CASE(inconsistent_coo_and_csc_members_are_named) {
  TempDir dir;
  const std::string path = dir / "x.npz";
  const int64_t row_out[5] = {2, 0, 3, 2, 0}, col_neg[5] = {3, 2, -1, 3, 0}, short_col[4] = {3, 2, 1, 3};
  const int64_t csc_rows_out[4] = {0, 3, 0, 2}, csc_indptr_bad[5] = {0, 2, 1, 3, 4}, csc_indptr_rows[4] = {0, 1, 2, 4};
  const float inf_data[5] = {1.5f, 2, INFINITY, 2.5f, 1};
  const int64_t bad_shape[2] = {-3, 4};
  expect_member_errors(scipy_coo_members(),
                       {{"row", make_npy("<i8", row_out, {5}), {"row.npy", "row[2] = 3 is outside [0, 3)"}},
                        {"col", make_npy("<i8", col_neg, {5}), {"col.npy", "col[2] = -1 is outside [0, 4)"}},
                        {"col", make_npy("<i8", short_col, {4}), {"col.npy", "has 4 entries, expected the length of row.npy = 5"}},
                        {"data", make_npy("<f4", inf_data, {5}), {"data.npy", "data[2] is Inf at row 2, column 1"}},
                        {"shape", make_npy("<i8", bad_shape, {2}), {"shape.npy", "negative shape (-3, 4)"}}},
                       path);
  expect_member_errors(scipy_csc_members(),
                       {{"indices", make_npy("<i8", csc_rows_out, {4}), {"indices.npy", "indices[1] = 3 (column 1) is outside [0, 3)"}},
                        {"indptr", make_npy("<i8", csc_indptr_bad, {5}), {"indptr.npy", "indptr[2] = 1 is below indptr[1] = 2"}},
                        {"indptr", make_npy("<i8", csc_indptr_rows, {4}), {"indptr.npy", "has 4 entries, expected cols + 1 = 5"}}},
                       path);
  auto members = scipy_coo_members();
  members.erase(members.begin() + 1);  // no col
  save_npz(path, members);
  BOOST_CHECK_EXCEPTION(load_scipy_csr_npz(path), DataError, message_has({path, "no member col.npy"}));
}

BOOST_AUTO_TEST_CASE(corrupt_archives) {
  TempDir dir;
  const std::string path = dir / "x.npz";
  write_file(path, "this is not a zip archive at all, just some text");
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "not a zip archive"}));
  write_file(path, small_npy());
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "not a zip archive"}));
  write_file(path, "");
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "empty file"}));
  BOOST_CHECK_EXCEPTION(load_npz(dir / "none.npz"), DataError, message_has({dir / "none.npz", "missing file"}));

  // Truncated: the end record is gone.
  save_npz(path, scipy_members());
  const std::string good = read_file(path);
  write_file(path, good.substr(0, good.size() / 2));
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "zip"}));

  // A flipped byte inside a stored member's data: the CRC catches it.
  save_npz(path, scipy_members(), false);
  std::string s = read_file(path);
  const size_t at = s.find("csr");
  s[at] = 'x';
  write_file(path, s);
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "format.npy", "CRC mismatch"}));

  // Corrupt deflate data.
  save_npz(path, scipy_members(), true);
  s = read_file(path);
  for (size_t i = 40; i < 60; ++i) s[i] = static_cast<char>(0xff);
  write_file(path, s);
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "indices.npy", "corrupt member"}));
}

BOOST_AUTO_TEST_CASE(a_member_that_is_not_npy_is_named) {
  TempDir dir;
  const std::string path = dir / "x.npz";
  std::vector<char> bad = serialize_npy(make_npy("<i8", "\0\0\0\0\0\0\0\0", {1}));
  bad[1] = 'X';
  for (bool compress : {false, true}) {
    save_zip(path, {{"notes.txt", {'h', 'i'}}, {"indptr.npy", bad}}, compress);
    BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path + ": indptr.npy: not a .npy file: bad magic"}));
  }
  save_zip(path, {{"notes.txt", {'h', 'i'}}, {"a.npy", serialize_npy(make_npy("|S3", "csr", {}))}}, true);
  BOOST_TEST(load_npz(path).size() == 1u);  // other members are skipped
  save_zip(path, {{"a.npy", serialize_npy(make_npy("|S3", "csr", {}))}, {"a.npy", {}}}, false);
  BOOST_CHECK_EXCEPTION(load_npz(path), DataError, message_has({path, "a.npy appears twice"}));
}

BOOST_AUTO_TEST_CASE(random_corruption_never_crashes) {
  TempDir dir;
  save_npz(dir / "x.npz", scipy_members(), true);
  const std::string compressed = read_file(dir / "x.npz");
  save_npz(dir / "x.npz", scipy_members(), false);
  const std::string stored = read_file(dir / "x.npz");
  std::mt19937 rng(777);
  for (const std::string& good : {compressed, stored}) {
    for (int it = 0; it < 5000; ++it) {
      std::string s = good;
      const int edits = 1 + static_cast<int>(rng() % 6);
      for (int k = 0; k < edits; ++k) s[rng() % s.size()] = static_cast<char>(rng());
      if (rng() % 5 == 0) s.resize(rng() % (s.size() + 1));
      try {
        const auto m = parse_npz(s.data(), s.size(), "fuzz.npz");
        scipy_csr_from_members(m, "fuzz.npz");
      } catch (const DataError& e) {
        BOOST_REQUIRE(std::string(e.what()).rfind("fuzz.npz: ", 0) == 0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(amazon_photo_features, *utf::precondition(SharedFile{"datasets/amazon-photo/x.npz"})) {
  const CsrMatrix m = load_scipy_csr_npz(shared("datasets/amazon-photo/x.npz"));
  BOOST_TEST(m.rows == 7650);
  BOOST_TEST(m.cols == 745);
  BOOST_TEST(m.nnz() == 1979909);
  BOOST_TEST(m.indptr.back() == m.nnz());
}

BOOST_AUTO_TEST_SUITE_END()
