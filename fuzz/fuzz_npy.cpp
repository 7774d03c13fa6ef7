// libFuzzer target for the .npy and .npz readers (io/npy.cpp, io/npz.cpp and io/zip.cpp under it),
// scipy's csr, csc and coo matrices included.
// Every input must give an array (or archive) or a gatgrad::Error whose message starts with
// the name passed in; anything else (a crash, a sanitizer report, a leak, another exception,
// an error that does not name its file, a round trip that changes the array) is a finding.
//   build and run: scripts/ci-fuzz.sh, or see fuzz/README.md
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>

#include "autograd/error.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_npy: %s\n", what.c_str());
  std::abort();
}

// Runs f; a gatgrad::Error naming `name` first is an accepted outcome, anything else aborts.
template <class F>
void expect_ok_or_error(const std::string& name, const char* step, F&& f) {
  try {
    f();
  } catch (const gatgrad::Error& e) {
    const std::string msg = e.what();
    if (msg.rfind(name, 0) != 0) finding(std::string(step) + ": the message does not start with \"" + name + "\": " + msg);
  } catch (const std::exception& e) {
    finding(std::string(step) + ": threw a non-gatgrad exception: " + e.what());
  }
}

// Every conversion of a parsed array, then a write/read round trip that must reproduce it.
void exercise(const gatgrad::NpyArray& a) {
  const std::string& name = a.name;
  expect_ok_or_error(name, "numel", [&] {
    if (a.numel() * a.itemsize() != static_cast<int64_t>(a.bytes.size())) finding(name + ": numel * itemsize != bytes");
    (void)a.kind();
    (void)a.shape_str();
  });
  expect_ok_or_error(name, "to_float", [&] { (void)a.to_float(); });
  expect_ok_or_error(name, "to_double", [&] { (void)a.to_double(); });
  expect_ok_or_error(name, "to_int64", [&] { (void)a.to_int64(); });
  expect_ok_or_error(name, "to_bool", [&] { (void)a.to_bool(); });
  expect_ok_or_error(name, "to_strings", [&] { (void)a.to_strings(); });
  expect_ok_or_error(name, "round trip", [&] {
    const std::vector<char> bytes = gatgrad::serialize_npy(a);
    const gatgrad::NpyArray b = gatgrad::parse_npy(bytes.data(), bytes.size(), name);
    if (b.dtype != a.dtype || b.shape != a.shape || b.bytes != a.bytes)
      finding(name + ": serialize_npy then parse_npy changed the array");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);

  // The bytes as one .npy file.
  expect_ok_or_error("fuzz.npy", "parse_npy", [&] { exercise(gatgrad::parse_npy(bytes, size, "fuzz.npy")); });

  // The bytes as an .npz archive: every member, then the scipy sparse reading of the members.
  expect_ok_or_error("fuzz.npz", "parse_npz", [&] {
    const std::map<std::string, gatgrad::NpyArray> members = gatgrad::parse_npz(bytes, size, "fuzz.npz");
    for (const auto& [key, array] : members) exercise(array);
    // csr, csc and coo alike; rows bounded as load_dataset bounds them by y.npy (the default,
    // int32's 2^31 - 1, would let an empty matrix ask for 16 GiB of row pointers).
    expect_ok_or_error("fuzz.npz", "scipy_csr_from_members", [&] {
      (void)gatgrad::scipy_csr_from_members(members, "fuzz.npz", gatgrad::RowLimit{1 << 20, "the fuzzer's 2^20"});
    });
  });
  return 0;
}
