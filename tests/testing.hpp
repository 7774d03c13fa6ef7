// Helpers shared by the test suites: a temporary directory, checks on error messages, the
// shared datasets directory, and running a program as a child process.
//   TempDir dir;  save_npy(dir / "x.npy", ...);            removed with its contents at scope exit
//   BOOST_CHECK_EXCEPTION(f(), DataError, message_has({dir / "x.npy", "truncated"}));
//   const testing::Run r = testing::run({bin_path("gat-train"), "--help"});   r.code, r.out, r.err
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "io/npy.hpp"
#include "models/presets.hpp"

extern char** environ;

namespace gatgrad::testing {

namespace fs = std::filesystem;

// A fresh directory under the system's temp directory, removed with everything in it at the
// end of the scope. `dir / "x.npy"` is the path of a file in it, as a string.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("gatgrad-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// True when the exception's message contains `text`.
inline bool message_has(const std::exception& e, const std::string& text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

// A predicate for BOOST_CHECK_EXCEPTION: the message contains every one of `words`; each
// missing word is reported with the whole message.
inline auto message_has(std::initializer_list<std::string> words) {
  std::vector<std::string> want(words);
  return [want](const std::exception& e) {
    bool ok = true;
    for (const std::string& w : want) {
      const bool found = message_has(e, w);
      BOOST_TEST(found, "message \"" << e.what() << "\" lacks \"" << w << "\"");
      ok = ok && found;
    }
    return ok;
  };
}

// ---- files ----

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(path + ": cannot write");
}

// A valid 6-node, 4-feature, 3-class graph with 8 edges, written as the exporter writes one
// (x.npy, y.npy, edge_index.npy, train/val/test_mask.npy). Change a field, then write().
struct TinyDataset {
  int64_t n = 6, f = 4;
  std::vector<float> x = {1, 0, 0, 1,  0, 2, 0, 0,  0, 0, 0, 1,  3, 1, 0, 0,  0, 0, 0.5f, 0,  1, 1, 1, 1};
  std::vector<int64_t> y = {0, 1, 2, 0, 1, 2};
  std::vector<int64_t> edges = {0, 1, 1, 2, 3, 4, 5, 5,   // sources
                                1, 0, 2, 1, 4, 3, 0, 2};  // targets
  std::vector<uint8_t> train = {1, 1, 1, 0, 0, 0}, val = {0, 0, 0, 1, 0, 0}, test = {0, 0, 0, 0, 1, 1};

  void write(const std::string& dir) const {
    fs::create_directories(dir);
    auto at = [&](const char* name) { return (fs::path(dir) / name).string(); };
    save_npy(at("x.npy"), x.data(), {n, f});
    save_npy(at("y.npy"), y.data(), {static_cast<int64_t>(y.size())});
    save_npy(at("edge_index.npy"), edges.data(), {2, static_cast<int64_t>(edges.size() / 2)});
    save_npy(at("train_mask.npy"), make_npy("|b1", train.data(), {static_cast<int64_t>(train.size())}));
    save_npy(at("val_mask.npy"), make_npy("|b1", val.data(), {static_cast<int64_t>(val.size())}));
    save_npy(at("test_mask.npy"), make_npy("|b1", test.data(), {static_cast<int64_t>(test.size())}));
  }
};

// A small GAT's configuration, for TinyDataset's sizes: 4 features, 3 classes, 2 heads of 4.
inline GATConfig small_gat_config() {
  GATConfig c;
  c.in_features = 4;
  c.num_classes = 3;
  c.hidden = 4;
  c.heads = 2;
  return c;
}

// Replaces the first occurrence of `from` in the file by `to` (the same length keeps a .npy
// header's size); throws when `from` is not there.
inline void patch_file(const std::string& path, const std::string& from, const std::string& to) {
  std::string s = read_file(path);
  const size_t at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error(path + ": no \"" + from + "\" to patch");
  s.replace(at, from.size(), to);
  write_file(path, s);
}

// ---- where things are ----

// The shared datasets' parent directory: $GATGRAD_SHARED, else the build's GATGRAD_SHARED_DIR
// ("" when neither is set).
inline std::string shared_dir() {
  if (const char* env = std::getenv("GATGRAD_SHARED"); env && *env) return env;
#ifdef GATGRAD_SHARED_DIR
  return GATGRAD_SHARED_DIR;
#else
  return "";
#endif
}
inline std::string dataset_dir(const std::string& name) {
  return (fs::path(shared_dir()) / "datasets" / name).string();
}

// A test precondition: the shared dataset `name` exists; otherwise the case is skipped, saying so.
//   BOOST_AUTO_TEST_CASE(cora, *boost::unit_test::precondition(HasDataset{"cora"}))
struct HasDataset {
  std::string name;
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(!shared_dir().empty() && fs::is_directory(dataset_dir(name)));
    if (!r) r.message() << "skipped: dataset '" << name << "' not found at '" << dataset_dir(name)
                        << "' (set GATGRAD_SHARED or GATGRAD_SHARED_DIR)";
    return r;
  }
};

// One file of a TinyDataset broken in one way, and the words its error message must hold (besides
// the file's path): the .npy catalogue, run through load_dataset (test_dataset) and gat-train
// (test_apps).
struct BrokenFile {
  const char* file;
  std::function<void(const std::string&)> corrupt;
  std::vector<std::string> words;
};
inline std::vector<BrokenFile> broken_npy_cases() {
  return {
      {"train_mask.npy", [](const std::string& p) { write_file(p, ""); }, {"empty file"}},
      {"x.npy", [](const std::string& p) { write_file(p, read_file(p).substr(0, 128 + 50)); },
       {"truncated: expected 96 bytes of data, found 50"}},
      {"y.npy", [](const std::string& p) { write_file(p, read_file(p).substr(0, 40)); }, {"truncated header"}},
      {"y.npy", [](const std::string& p) { patch_file(p, "NUMPY", "NUMPI"); }, {"not a .npy file: bad magic"}},
      {"edge_index.npy", [](const std::string& p) { patch_file(p, "'shape':", "'shape' "); }, {"bad header", "expected ':'"}},
      {"x.npy", [](const std::string& p) { patch_file(p, "<f4", "<c8"); }, {"unsupported dtype '<c8'"}},
      {"x.npy", [](const std::string& p) { patch_file(p, "<f4", "<f2"); }, {"float16", "unsupported"}},
      {"val_mask.npy", [](const std::string& p) { patch_file(p, "|b1", "|O8"); }, {"object arrays", "unsupported"}},
      {"x.npy", [](const std::string& p) { patch_file(p, "<f4", ">f4"); }, {"big-endian dtype '>f4' is unsupported"}},
      {"edge_index.npy", [](const std::string& p) { patch_file(p, "False", "True "); },
       {"Fortran-order arrays are unsupported"}},
  };
}

// A program of this build: GATGRAD_BIN_DIR/<name> (the build's bin/ folder).
inline std::string bin_path(const std::string& name) {
#ifdef GATGRAD_BIN_DIR
  return (fs::path(GATGRAD_BIN_DIR) / name).string();
#else
  return name;
#endif
}

// ---- child processes ----

// The emulator this build's programs run under, as words (GATGRAD_TEST_EMULATOR, e.g.
// "/usr/bin/qemu-aarch64-static -L /" for a cross-compiled build: CTest sets it for every test;
// scripts/ci-qemu-x86.sh sets it to run the portable build on a CPU model without AVX); none natively.
inline std::vector<std::string> emulator() {
  std::vector<std::string> words;
  const char* e = std::getenv("GATGRAD_TEST_EMULATOR");
  std::string w;
  for (const char* c = e ? e : ""; *c; ++c) {
    if (*c == ' ') {
      if (!w.empty()) words.push_back(w);
      w.clear();
    } else {
      w += *c;
    }
  }
  if (!w.empty()) words.push_back(w);
  return words;
}

// argv with the emulator in front when argv[0] is a program of this build.
inline std::vector<std::string> emulated(std::vector<std::string> argv) {
#ifdef GATGRAD_BIN_DIR
  if (!argv.empty() && argv[0].rfind(GATGRAD_BIN_DIR, 0) == 0) {
    const std::vector<std::string> e = emulator();
    argv.insert(argv.begin(), e.begin(), e.end());
  }
#endif
  return argv;
}

// A shell command line that runs program `path` (under the emulator when there is one).
inline std::string shell_command(const std::string& path) {
  std::string cmd;
  for (const std::string& w : emulated({path})) cmd += (cmd.empty() ? "" : " ") + w;
  return cmd;
}

struct Run {
  int code = -1;            // exit status; 128 + n when killed by signal n
  bool timed_out = false;   // killed after the time limit
  std::string out, err;     // everything written to stdout and stderr
  double seconds = 0;       // wall time
};

// Runs argv[0] (a path) with the arguments argv[1..] and this process's environment, with
// stdin from /dev/null, and waits for it (SIGKILL after `timeout_seconds`).
inline Run run(const std::vector<std::string>& program_argv, double timeout_seconds = 60) {
  const std::vector<std::string> argv = emulated(program_argv);
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawned != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(spawned));
  }

  Run r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_seconds));
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  return r;
}

// A program of this build (bin_path(name)) with `args`, run as run() does; it timing out or
// printing a sanitizer report to stderr is a test failure (the run is returned either way).
inline Run run_program(const std::string& name, std::vector<std::string> args, double timeout_seconds) {
  args.insert(args.begin(), bin_path(name));
  const Run r = run(args, timeout_seconds);
  std::string cmd;
  for (const std::string& a : args) cmd += " " + a;
  BOOST_TEST_INFO(name << cmd);
  BOOST_TEST(!r.timed_out);
  for (const char* report : {"Sanitizer", "runtime error:"})
    BOOST_TEST(r.err.find(report) == std::string::npos, name << cmd << " reported:\n" << r.err);
  return r;
}

}  // namespace gatgrad::testing
