// Broken inputs and faults, one section per class of issue 27: sizes read from files checked
// before anything of their size is allocated (1), checkpoints holding NaN or Inf (2), values
// beyond the type they end up in (3), optional files present in name only (4), outputs on a full
// disk (6), what runs killed while saving leave behind (7), a memory-mapped file cut short (8).
// Unit cases call the readers and writers; CLI cases run this build's gat-train.
// To add a case: find its class's section, build the broken input in a TempDir, and check that
// the message names the file (and the field) and that the exit code is 1 (data) or 2 (usage).
#define BOOST_TEST_MODULE faults
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "autograd/error.hpp"
#include "graph/features.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "io/file.hpp"
#include "io/json.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
#include "models/gat.hpp"
#include "models/presets.hpp"
#include "nn/checkpoint.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

Run train(std::vector<std::string> args) { return run_program("gat-train", std::move(args), 120); }

// The run exited with `code` and stderr holds every one of `words`.
void expect_exit(const Run& r, int code, const std::vector<std::string>& words) {
  BOOST_TEST(r.code == code, "exit code " << r.code << ", expected " << code << "; stderr: " << r.err);
  for (const std::string& w : words)
    BOOST_TEST(r.err.find(w) != std::string::npos, "stderr \"" << r.err << "\" lacks \"" << w << "\"");
}

// TinyDataset with edge features: edge_attr.npy [8, 2].
void write_tiny_with_edge_features(const std::string& dir) {
  TinyDataset{}.write(dir);
  const std::vector<float> attr = {1, 0, 0, 1, 1, 1, 0.5f, 0, 0, 2, 1, 0, 0, 1, 2, 2};
  save_npy(dir + "/edge_attr.npy", attr.data(), {8, 2});
}

// A pid that was a process of ours and is no more (reaped).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

std::vector<std::vector<double>> values_of(const GAT& model) {
  std::vector<std::vector<double>> v;
  for (const Tensor& p : model.parameters()) v.push_back(p.to_vector());
  return v;
}

// The .npy file at `path` (float32) with element `k` set to `value`.
void set_element(const std::string& path, int64_t k, float value) {
  NpyArray a = load_npy(path);
  std::memcpy(a.bytes.data() + k * 4, &value, 4);
  save_npy(path, a);
}

// ---- a small full file system ----

// A 64 KiB tmpfs mounted on a TempDir, for as long as it lives, and filled up by fill().
struct SmallTmpfs {
  TempDir dir{"tmpfs"};
  bool mounted = false;
  SmallTmpfs() { mounted = ::mount("tmpfs", dir.str().c_str(), "tmpfs", 0, "size=64k") == 0; }
  ~SmallTmpfs() {
    if (mounted) ::umount2(dir.str().c_str(), MNT_DETACH);
  }
  std::string operator/(const std::string& name) const { return dir / name; }
  // Writes a filler file until the file system has no byte left.
  void fill() const {
    const int fd = ::open((dir / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    BOOST_TEST_REQUIRE(fd >= 0);
    const std::string chunk(4096, 'f');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    while (::write(fd, chunk.data(), 1) > 0) {
    }
    ::close(fd);
  }
  // The names in the file system besides the filler.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.path()))
      if (e.path().filename() != "filler") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

// The precondition of the full-disk cases: mounting a tmpfs needs root (CAP_SYS_ADMIN). Without
// it the case is skipped, and Boost.Test says so with this message.
struct CanMountTmpfs {
  boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
    SmallTmpfs t;
    boost::test_tools::assertion_result r(t.mounted);
    if (!t.mounted)
      r.message() << "skipped: cannot mount a 64 KiB tmpfs to fill up (needs root or CAP_SYS_ADMIN): " << std::strerror(errno);
    return r;
  }
};

}  // namespace

// ==== 1. sizes read from files, checked before allocation ====

namespace {

// An empty scipy matrix of the given format and shape (CSR's indptr needs rows + 1 entries: one
// entry only when rows is beyond any file, so that the shape check is what refuses it).
std::vector<std::pair<std::string, NpyArray>> empty_sparse(const std::string& format, int64_t rows, int64_t cols) {
  const int64_t none[1] = {0}, shape[2] = {rows, cols};
  const float no_data[1] = {0};
  std::vector<std::pair<std::string, NpyArray>> m = {{"format", make_npy("|S3", format.c_str(), {})},
                                                     {"shape", make_npy("<i8", shape, {2})},
                                                     {"data", make_npy("<f4", no_data, {0})}};
  if (format == "coo") {
    m.emplace_back("row", make_npy("<i8", none, {0}));
    m.emplace_back("col", make_npy("<i8", none, {0}));
  } else {
    const int64_t outer = format == "csr" ? rows : cols;
    const std::vector<int64_t> indptr(static_cast<size_t>(outer < 1000 ? outer + 1 : 1), 0);
    m.emplace_back("indptr", make_npy("<i8", indptr.data(), {static_cast<int64_t>(indptr.size())}));
    m.emplace_back("indices", make_npy("<i8", none, {0}));
  }
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sparse_shapes_beyond_the_row_limit_are_refused_before_allocation) {
  TempDir dir;
  const std::string path = dir / "x.npz";
  for (const std::string format : {"coo", "csc", "csr"}) {
    BOOST_TEST_CONTEXT("format " << format) {
      save_npz(path, empty_sparse(format, int64_t{1} << 40, 4));
      BOOST_CHECK_EXCEPTION(load_scipy_csr_npz(path), DataError,
                            message_has({path + ": shape.npy: rows = 1099511627776 is more than 2147483647"}));
      save_npz(path, empty_sparse(format, 7, 4));
      BOOST_CHECK_EXCEPTION(load_scipy_csr_npz(path, RowLimit{6, "the 6 nodes of y.npy"}), DataError,
                            message_has({path + ": shape.npy: rows = 7 is more than the 6 nodes of y.npy"}));
      const CsrMatrix m = load_scipy_csr_npz(path, RowLimit{7, "7"});  // at the limit: read
      BOOST_TEST(m.rows == 7);
      BOOST_TEST(m.nnz() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_dataset_x_npz_claiming_more_rows_than_y_npy_is_named) {
  TempDir dir;
  TinyDataset{}.write(dir.str());
  fs::remove(dir / "x.npy");
  for (const std::string format : {"coo", "csc"}) {
    save_npz(dir / "x.npz", empty_sparse(format, int64_t{1} << 40, 4));
    BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                          message_has({dir / "x.npz", "shape.npy: rows = 1099511627776 is more than the 6 nodes of",
                                       dir / "y.npy"}));
  }
}

BOOST_AUTO_TEST_CASE(cli_x_npz_of_2_pow_40_rows_is_a_data_error_naming_the_file) {
  TempDir dir;
  TinyDataset{}.write(dir.str());
  fs::remove(dir / "x.npz");
  fs::remove(dir / "x.npy");
  save_npz(dir / "x.npz", empty_sparse("coo", int64_t{1} << 40, 4));
  const Run r = train({"--data", dir.str(), "--epochs", "1", "--quiet"});
  expect_exit(r, 1, {dir / "x.npz", "shape.npy", "rows = 1099511627776"});
  BOOST_TEST(r.err.find("out of memory") == std::string::npos);
}

// ==== 2. checkpoints with NaN or Inf ====

BOOST_AUTO_TEST_CASE(non_finite_parameters_are_refused_naming_the_file) {
  TempDir dir;
  const GATConfig c = small_gat_config();
  GAT saved(c);
  nn::save_checkpoint(dir / "ckpt", saved, nullptr, c.to_json());
  const std::string weight = dir / "ckpt/conv1.weight.npy";  // [4, 8]
  const std::string good = read_file(weight);
  GATConfig other = c;
  other.seed = 5;
  GAT model(other);
  const auto before = values_of(model);
  for (const auto& [value, name] : {std::pair{std::numeric_limits<float>::quiet_NaN(), "NaN"},
                                    std::pair{std::numeric_limits<float>::infinity(), "Inf"},
                                    std::pair{-std::numeric_limits<float>::infinity(), "-Inf"}}) {
    set_element(weight, 10, value);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint(dir / "ckpt", model, nullptr), DataError,
                          message_has({weight + ": element 10 (row 1, column 2) is " + name, "must be finite"}));
    BOOST_TEST((values_of(model) == before));  // nothing loaded
    write_file(weight, good);
  }
  nn::load_checkpoint(dir / "ckpt", model, nullptr);
  BOOST_TEST((values_of(model) == values_of(saved)));
}

BOOST_AUTO_TEST_CASE(cli_eval_only_of_a_nan_checkpoint_is_a_data_error) {
  TempDir dir;
  TinyDataset{}.write(dir / "data");
  BOOST_TEST_REQUIRE(train({"--data", dir / "data", "--epochs", "2", "--quiet", "--save", dir / "ckpt"}).code == 0);
  set_element(dir / "ckpt/conv2.att.npy", 0, std::numeric_limits<float>::quiet_NaN());
  const Run r = train({"--data", dir / "data", "--load", dir / "ckpt", "--eval-only"});
  expect_exit(r, 1, {dir / "ckpt/conv2.att.npy", "element 0", "is NaN"});
  BOOST_TEST(r.out.find("test_accuracy") == std::string::npos, r.out);
}

// ==== 3. values beyond the type they end up in ====

BOOST_AUTO_TEST_CASE(json_values_are_checked_against_their_type) {
  const std::string src = "ckpt/config.json";
  auto field = [&](const std::string& text) { return Json::parse(text); };
  BOOST_CHECK_EXCEPTION(json_get<int64_t>(field("1e300"), src + ": field 'hidden'"), DataError,
                        message_has({"ckpt/config.json: field 'hidden' = 1e+300 is not an integer"}));
  BOOST_CHECK_EXCEPTION(json_get<int64_t>(field("2.5"), "f"), DataError, message_has({"f = 2.5 is not an integer"}));
  BOOST_CHECK_EXCEPTION(json_get<int64_t>(field("9223372036854775808"), "f"), DataError,
                        message_has({"does not fit in a signed 64-bit integer"}));
  BOOST_CHECK_EXCEPTION(json_get<uint64_t>(field("-1"), "f"), DataError, message_has({"f = -1 is negative"}));
  BOOST_CHECK_EXCEPTION(json_get<int>(field("4294967296"), "f"), DataError, message_has({"does not fit in a signed 32-bit"}));
  BOOST_CHECK_EXCEPTION(json_get<float>(field("1e39"), "f"), DataError, message_has({"f = 1e+39 is beyond the range of float32"}));
  BOOST_CHECK_EXCEPTION(json_get<bool>(field("1"), "f"), DataError, message_has({"f = 1 is not true or false"}));
  BOOST_CHECK_EXCEPTION(json_get<std::vector<int64_t>>(field("[1, 1.5]"), "f"), DataError,
                        message_has({"f[1] = 1.5 is not an integer"}));
  BOOST_TEST(json_get<double>(field("1e39"), "f") == 1e39);
  BOOST_TEST(json_get<float>(field("3"), "f") == 3.0f);
  BOOST_TEST(json_get<uint64_t>(field("18446744073709551615"), "f") == std::numeric_limits<uint64_t>::max());
}

BOOST_AUTO_TEST_CASE(config_fields_beyond_their_type_name_the_file_and_field) {
  const std::string src = "ckpt/config.json";
  auto with = [](const std::string& key, const Json& value) {
    Json j = Json::parse(small_gat_config().to_json());
    j[key] = value;
    return j.dump();
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with("hidden", 1e300), "field 'hidden' = 1e+300 is not an integer"},
      {with("layers", 2.5), "field 'layers' = 2.5 is not an integer"},
      {with("seed", -1), "field 'seed' = -1 is negative"},
      {with("edge_fill", "1e39"), "edge_fill is invalid: edge fill '1e39' is beyond float32's range"},
  };
  for (const auto& [text, words] : cases)
    BOOST_CHECK_EXCEPTION(GATConfig::from_json(text, src), DataError, message_has({src, words}));
  Json train = Json::parse(TrainConfig{}.to_json());
  train["fanout"] = Json::parse("[10, 1e20]");
  BOOST_CHECK_EXCEPTION(TrainConfig::from_json(train.dump(), src), DataError,
                        message_has({src + ": field 'fanout'[1] = 1e+20 is not an integer"}));
  Json graph = Json::parse(csbm_options_to_json(CsbmOptions{}));
  graph["num_nodes"] = 1e300;
  BOOST_CHECK_EXCEPTION(csbm_options_from_json(graph.dump(), src), DataError,
                        message_has({src, "field 'num_nodes' = 1e+300 is not an integer"}));
}

BOOST_AUTO_TEST_CASE(cli_edge_fill_beyond_float32_is_a_usage_error) {
  TempDir dir;
  write_tiny_with_edge_features(dir / "data");
  expect_exit(train({"--data", dir / "data", "--epochs", "1", "--quiet", "--edge-fill", "1e39"}), 2,
              {"--edge-fill", "beyond float32"});
  expect_exit(train({"--data", dir / "data", "--epochs", "1", "--quiet", "--edge-fill", "-3.5e38"}), 2,
              {"--edge-fill", "beyond float32"});
  BOOST_TEST(train({"--data", dir / "data", "--epochs", "1", "--quiet", "--edge-fill", "3e38"}).code != 2);

  // The same value in a checkpoint's config.json: a data error naming the file and the field.
  BOOST_TEST_REQUIRE(train({"--data", dir / "data", "--epochs", "2", "--quiet", "--save", dir / "ckpt"}).code == 0);
  nlohmann::json c = nlohmann::json::parse(read_file(dir / "ckpt/config.json"));
  c["edge_fill"] = "1e39";
  write_file(dir / "ckpt/config.json", c.dump());
  expect_exit(train({"--data", dir / "data", "--load", dir / "ckpt", "--eval-only"}), 1,
              {dir / "ckpt/config.json", "edge_fill", "beyond float32"});
}

// ==== 4. optional files present in name only ====

BOOST_AUTO_TEST_CASE(optional_file_present_tells_absent_from_broken) {
  TempDir dir;
  BOOST_TEST(!optional_file_present(dir / "none.npy"));
  write_file(dir / "here.npy", "x");
  BOOST_TEST(optional_file_present(dir / "here.npy"));
  fs::create_symlink(dir / "here.npy", dir / "link.npy");
  BOOST_TEST(optional_file_present(dir / "link.npy"));
  fs::create_symlink(dir / "gone.npy", dir / "dangling.npy");
  BOOST_CHECK_EXCEPTION(optional_file_present(dir / "dangling.npy"), DataError,
                        message_has({dir / "dangling.npy" + ": dangling symbolic link to '" + dir / "gone.npy" + "'"}));
  fs::create_symlink(dir / "loop-b", dir / "loop-a");
  fs::create_symlink(dir / "loop-a", dir / "loop-b");
  BOOST_CHECK_EXCEPTION(optional_file_present(dir / "loop-a"), DataError,
                        message_has({dir / "loop-a", "cannot be followed"}));
}

BOOST_AUTO_TEST_CASE(dataset_files_present_in_name_only_are_errors) {
  struct Case {
    std::string file;
    std::function<void(const std::string&)> prepare;  // on the dataset folder, before the link
  };
  const std::vector<Case> cases = {
      {"edge_attr.npy", [](const std::string&) {}},
      {"graph_index.npy", [](const std::string&) {}},
      {"x.npz", [](const std::string& d) { fs::remove(d + "/x.npy"); }},  // x.npy absent: x.npz is read
      {"x.npy", [](const std::string& d) {                                  // x.npz there: never read instead
         fs::rename(d + "/x.npy", d + "/x.real.npy");
         const CsrMatrix m = dense_to_csr(load_npy(d + "/x.real.npy").to_float(), 6, 4);
         save_npz(d + "/x.npz", {{"format", make_npy("|S3", "csr", {})},
                                 {"shape", make_npy("<i8", std::vector<int64_t>{6, 4}.data(), {2})},
                                 {"indptr", make_npy("<i8", m.indptr.data(), {7})},
                                 {"indices", make_npy("<i4", m.indices.data(), {m.nnz()})},
                                 {"data", make_npy("<f4", m.values.data(), {m.nnz()})}});
       }},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.file) {
      TempDir dir;
      TinyDataset{}.write(dir.str());
      c.prepare(dir.str());
      fs::create_symlink(dir / "moved-away.npy", dir / c.file);
      BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError,
                            message_has({dir / c.file + ": dangling symbolic link", "moved-away.npy"}));
    }
  }
}

BOOST_AUTO_TEST_CASE(cli_dangling_edge_attr_is_a_data_error) {
  TempDir dir;
  TinyDataset{}.write(dir.str());
  fs::create_symlink(dir / "elsewhere/edge_attr.npy", dir / "edge_attr.npy");
  const Run r = train({"--data", dir.str(), "--epochs", "2", "--quiet"});
  expect_exit(r, 1, {dir / "edge_attr.npy", "dangling symbolic link"});
}

// ==== 6. outputs on a full disk ====

BOOST_AUTO_TEST_CASE(an_atomic_file_replaces_the_old_one_only_when_committed) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  write_file(path, "old contents");
  ::chmod(path.c_str(), 0640);
  {
    AtomicFile f(path);
    f.write("new, unfinished");
    BOOST_TEST(read_file(path) == "old contents");  // aside until committed
  }  // destroyed without commit: the temporary goes
  BOOST_TEST(read_file(path) == "old contents");
  BOOST_TEST(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  write_file_atomically(path, "new contents");
  BOOST_TEST(read_file(path) == "new contents");
  struct stat st {};
  ::stat(path.c_str(), &st);
  BOOST_TEST((st.st_mode & 0777) == 0640u);  // the file's permissions kept

  // A symbolic link stays a link; its target gets the new contents.
  fs::create_symlink(path, dir / "link.txt");
  write_file_atomically(dir / "link.txt", "through the link");
  BOOST_TEST(fs::is_symlink(dir / "link.txt"));
  BOOST_TEST(read_file(path) == "through the link");
  // Not a regular file: written in place.
  write_file_atomically("/dev/null", "discarded");
  BOOST_TEST(fs::is_character_file("/dev/null"));
}

BOOST_AUTO_TEST_CASE(a_full_disk_leaves_every_old_file_and_no_temporary, *utf::precondition(CanMountTmpfs{})) {
  SmallTmpfs disk;
  const std::vector<float> small = {1, 2, 3};
  save_npy(disk / "old.npy", small.data(), {3});
  write_file(disk / "old.json", "{\"old\": true}\n");
  save_npz(disk / "old.npz", {{"a", make_npy("<f4", small.data(), {3})}});
  const GATConfig c = small_gat_config();
  GAT model(c);
  nn::save_checkpoint(disk / "ckpt", model, nullptr, c.to_json());
  const std::string npy = read_file(disk / "old.npy"), npz = read_file(disk / "old.npz");
  const std::string weight = read_file(disk / "ckpt/conv1.weight.npy");
  const auto names = disk.names();
  disk.fill();

  const std::vector<float> big(20000, 0.5f);
  BOOST_CHECK_EXCEPTION(save_npy(disk / "old.npy", big.data(), {20000}), DataError,
                        message_has({disk / "old.npy", "No space left on device"}));
  BOOST_CHECK_EXCEPTION(write_file_atomically(disk / "old.json", std::string(100000, ' ')), DataError,
                        message_has({disk / "old.json", "No space left on device"}));
  BOOST_CHECK_EXCEPTION(save_npz(disk / "old.npz", {{"a", make_npy("<f4", big.data(), {20000})}}, false), DataError,
                        message_has({disk / "old.npz", "No space left on device"}));
  GATConfig wide = c;
  wide.hidden = 64;
  GAT bigger(wide);
  BOOST_CHECK_THROW(nn::save_checkpoint(disk / "ckpt", bigger, nullptr, wide.to_json()), DataError);
  BOOST_TEST(read_file(disk / "old.npy") == npy);
  BOOST_TEST(read_file(disk / "old.json") == "{\"old\": true}\n");
  BOOST_TEST(read_file(disk / "old.npz") == npz);
  BOOST_TEST(read_file(disk / "ckpt/conv1.weight.npy") == weight);
  BOOST_TEST((disk.names() == names));  // no temporary file or folder left
}

BOOST_AUTO_TEST_CASE(cli_outputs_on_a_full_disk_keep_the_old_files, *utf::precondition(CanMountTmpfs{})) {
  TempDir data;
  TinyDataset{}.write(data.str());
  for (const std::string option : {"--predict-out", "--metrics-json", "--attention-out", "--plot"}) {
    BOOST_TEST_CONTEXT(option) {
      SmallTmpfs disk;
      const std::string out = disk / "old.out";
      write_file(out, "the user's old file\n");
      disk.fill();
      const Run r = train({"--data", data.str(), "--epochs", "2", "--quiet", option, out});
      expect_exit(r, 1, {out, "No space left on device"});
      BOOST_TEST(read_file(out) == "the user's old file\n");
      BOOST_TEST((disk.names() == std::vector<std::string>{"old.out"}));
    }
  }
}

// ==== 7. what runs killed while saving leave ====

BOOST_AUTO_TEST_CASE(staging_left_by_dead_processes_is_removed_by_the_next_save) {
  TempDir dir;
  const std::string ckpt = dir / "ckpt";
  const GATConfig c = small_gat_config();
  GAT model(c);
  nn::save_checkpoint(ckpt, model, nullptr, c.to_json());
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getppid());
  const std::vector<std::string> stale = {"ckpt.tmp-" + dead, "ckpt.old-" + dead, "ckpt.next-" + dead,
                                          "ckpt.next-" + dead + ".tmp-" + dead};
  const std::vector<std::string> kept = {"ckpt.tmp-" + alive, "ckpt.next-" + alive, "ckpt.next-" + dead + "x",
                                         "ckpt2.tmp-" + dead, "other.next-" + dead, "ckpt.tmp-"};
  for (const std::string& name : stale) {
    fs::create_directories(dir / name);
    write_file(dir / name + "/conv1.weight.npy", std::string(1000, 'w'));
  }
  for (const std::string& name : kept) fs::create_directories(dir / name);
  nn::save_checkpoint(ckpt, model, nullptr, c.to_json());
  for (const std::string& name : stale) BOOST_TEST(!fs::exists(dir / name), name);
  for (const std::string& name : kept) BOOST_TEST(fs::exists(dir / name), name);
}

BOOST_AUTO_TEST_CASE(a_save_killed_between_its_renames_gets_its_checkpoint_back) {
  TempDir dir;
  const GATConfig c = small_gat_config();
  GAT model(c);
  const std::string old = dir / ("ckpt.old-" + std::to_string(dead_pid()));
  nn::save_checkpoint(old, model, nullptr, c.to_json());  // the only complete checkpoint, under .old
  const std::vector<std::string> removed = nn::remove_stale_staging(dir / "ckpt");
  BOOST_TEST(removed.empty());
  BOOST_TEST(!fs::exists(old));
  GAT back(c);
  nn::load_checkpoint(dir / "ckpt", back, nullptr);
  BOOST_TEST((values_of(back) == values_of(model)));
}

BOOST_AUTO_TEST_CASE(cli_save_and_resume_remove_what_killed_runs_left) {
  TempDir dir;
  TinyDataset{}.write(dir / "data");
  const std::string save = dir / "run";
  const std::string dead = std::to_string(dead_pid());
  auto plant = [&] {
    fs::create_directories(save + ".next-" + dead + "/resume");
    write_file(save + ".next-" + dead + "/resume/conv1.weight.npy", std::string(4096, 'w'));
    fs::create_directories(save + ".tmp-" + dead);
  };
  plant();
  BOOST_TEST_REQUIRE(train({"--data", dir / "data", "--epochs", "3", "--quiet", "--save", save}).code == 0);
  BOOST_TEST(!fs::exists(save + ".next-" + dead));
  BOOST_TEST(!fs::exists(save + ".tmp-" + dead));

  // A run killed (SIGKILL) while it checkpoints every epoch, then resumed.
  const std::vector<std::string> args = emulated({bin_path("gat-train"), "--data", dir / "data", "--epochs", "100000",
                                                  "--patience", "100000", "--quiet", "--save", save,
                                                  "--checkpoint-every", "1"});
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  BOOST_TEST_REQUIRE(::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(save + "/resume/config.json") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST_REQUIRE(fs::exists(save + "/resume/config.json"));
  // The resumed run ends two epochs on.
  nlohmann::json state = nlohmann::json::parse(read_file(save + "/resume/config.json"));
  state["train"]["max_epochs"] = state["state"]["epoch"].get<int64_t>() + 2;
  write_file(save + "/resume/config.json", state.dump());
  plant();
  const Run r = train({"--resume", save, "--quiet"});
  BOOST_TEST(r.code == 0, r.err);
  for (const auto& e : fs::directory_iterator(dir.path()))
    BOOST_TEST(e.path().filename().string().find("run.") != 0, "left over: " << e.path());
}

// ==== 8. a memory-mapped file cut short under the process ====

BOOST_AUTO_TEST_CASE(a_mapped_file_cut_short_ends_the_process_naming_it) {
  if (!emulator().empty()) {
    BOOST_TEST_MESSAGE("skipped under an emulator: its delivery of SIGBUS for mapped files is its own");
    return;
  }
  TempDir dir;
  const std::string path = dir / "x.npy";
  const std::vector<float> x(1 << 16, 1.0f);  // 256 KiB: pages past the cut
  save_npy(path, x.data(), {256, 256});
  int err[2];
  BOOST_TEST_REQUIRE(::pipe(err) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(err[1], 2);
    const MappedNpy m = map_npy(path);
    if (::truncate(path.c_str(), 4096) != 0) ::_exit(3);
    volatile float sum = 0;
    const float* v = reinterpret_cast<const float*>(m.data);
    for (size_t i = 0; i < m.bytes / 4; i += 1024) sum = sum + v[i];
    ::_exit(0);  // not reached: the read past the cut raises SIGBUS
  }
  ::close(err[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 1);
  BOOST_TEST(message.find(path + ": the file was cut short while this program read it through a memory mapping") !=
                 std::string::npos,
             message);

}
