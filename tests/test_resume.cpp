// Interrupting gat-train with SIGINT / SIGTERM and resuming it gives exactly the run that was
// never interrupted: the same losses, accuracies and parameter files, bit for bit.
// To add a test: start build/bin/gat-train with run_and_signal() (it signals the run once a line
// of its output starts with a prefix), resume it, and compare the files it leaves behind with
// those of an uninterrupted run (check_identical_runs).
#define BOOST_TEST_MODULE resume
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/synthetic.hpp"
#include "models/presets.hpp"
#include "train/trainer.hpp"
#include "testing.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kTrain = std::string(GATGRAD_BIN_DIR) + "/gat-train";

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("gatgrad-resume-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

// Runs argv; when `line_prefix` is non-empty, sends `sig` once a stdout line starts with it.
// Returns the exit status (128 + signal for a run that reported the signal itself); `out`, when
// given, gets what the run printed.
int run_and_signal(const std::vector<std::string>& args, const std::string& line_prefix, int sig,
                   std::string* out = nullptr) {
  int pipe_fds[2];
  BOOST_REQUIRE(::pipe(pipe_fds) == 0);
  // The smallest pipe (a page): a run can print only that much ahead of what this process has
  // read, so on a loaded machine, where the reader may wait long for a core, the signal still
  // lands within some 40 lines of the one it is sent on, never after the run has ended.
  BOOST_REQUIRE(::fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096) >= 4096);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    const std::vector<std::string> full = gatgrad::testing::emulated(args);
    std::vector<char*> argv;
    for (const std::string& a : full) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  FILE* f = ::fdopen(pipe_fds[0], "r");
  char line[4096];
  bool sent = false;
  while (std::fgets(line, sizeof line, f)) {
    if (out) *out += line;
    if (!sent && !line_prefix.empty() && std::string(line).rfind(line_prefix, 0) == 0) {
      ::kill(pid, sig);
      sent = true;
    }
  }
  std::fclose(f);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1000 + WTERMSIG(status);  // killed by the signal itself: the handler did not run
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> base_args(const fs::path& save, const fs::path& metrics) {
  return {kTrain, "--epochs", "60", "--patience", "1000", "--log-every", "1", "--seed", "3", "--threads", "2",
          "--save", save.string(), "--metrics-json", metrics.string()};
}

void check_identical_runs(const fs::path& a, const fs::path& b, const fs::path& ma, const fs::path& mb) {
  const auto ja = nlohmann::json::parse(read_file(ma)), jb = nlohmann::json::parse(read_file(mb));
  // multi-label data: micro-F1; link prediction: AUC
  const std::string score = ja.contains("test_micro_f1") ? "micro_f1" : ja.contains("test_auc") ? "auc" : "accuracy";
  for (const std::string& field : {std::string("train_loss"), std::string("val_loss"), "val_" + score + "_curve",
                                   "test_" + score, "val_" + score, std::string("best_epoch"), std::string("epochs_run")})
    BOOST_TEST((ja.at(field) == jb.at(field)), "metrics field " << field << " differs");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(a)) {
    if (entry.path().extension() != ".npy") continue;
    const fs::path other = b / entry.path().filename();
    BOOST_TEST_REQUIRE(fs::exists(other), other);
    BOOST_TEST((read_file(entry.path()) == read_file(other)), entry.path().filename() << " differs");
    ++files;
  }
  BOOST_TEST(files >= 6);  // conv1/conv2 weight, att, bias
}

// `extra`: options of both runs (the resumed one takes them from the saved state).
void interrupt_and_resume(int sig, const std::vector<std::string>& extra = {}) {
  TempDir tmp;
  const fs::path whole = tmp.path / "whole", cut = tmp.path / "cut";
  const fs::path m_whole = tmp.path / "whole.json", m_cut = tmp.path / "cut.json";
  auto args = [&](const fs::path& save, const fs::path& metrics) {
    std::vector<std::string> a = base_args(save, metrics);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  BOOST_TEST_REQUIRE(run_and_signal(args(whole, m_whole), "", 0) == 0);

  const int code = run_and_signal(args(cut, m_cut), "epoch 5 ", sig);  // of 60: see run_and_signal
  BOOST_TEST_REQUIRE(code == 128 + sig);
  BOOST_TEST_REQUIRE(fs::exists(cut / "resume" / "config.json"));
  BOOST_TEST(fs::exists(cut / "config.json"));  // the best model so far stays at the top
  BOOST_TEST(!fs::exists(m_cut));               // no metrics for an unfinished run

  BOOST_TEST_REQUIRE(run_and_signal({kTrain, "--resume", cut.string(), "--log-every", "1", "--threads", "1",
                                     "--metrics-json", m_cut.string()},
                                    "", 0) == 0);
  BOOST_TEST(!fs::exists(cut / "resume"));  // a finished run leaves only the best model
  check_identical_runs(whole, cut, m_whole, m_cut);
}

// ---- graph classification (--task graph): the running fold k saved in DIR/fold_k ----

// A small cross-validation on the synthetic motif set: 3 folds of at most 30 epochs of a few ms
// (a signal sent on a line lands before the run ends) with patience 8 (folds 1 and 2 stop early),
// a line every epoch.
std::vector<std::string> graph_args(const fs::path& save, const fs::path& metrics, const std::vector<std::string>& extra) {
  std::vector<std::string> a = {kTrain, "--task", "graph", "--graphs", "120", "--folds", "3", "--layers", "2",
                                "--epochs", "30", "--patience", "8", "--log-every", "1", "--seed", "3", "--threads",
                                "2", "--save", save.string(), "--metrics-json", metrics.string()};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// The lines a run prints for its finished folds and its summary, the times cut out.
std::vector<std::string> fold_lines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const bool fold_end = line.rfind("fold ", 0) == 0 && line.find(" best_epoch=") != std::string::npos;
    if (!fold_end && line.rfind("mean_test_accuracy=", 0) != 0) continue;
    const size_t ms = line.find(" epoch_ms_median=");
    if (ms != std::string::npos) line.erase(ms, line.find(' ', ms + 1) - ms);
    lines.push_back(line);
  }
  return lines;
}

// Two cross-validations gave the same bits: printed folds and summary, metrics (but times and
// threads), and every file of every fold's checkpoint; neither left a fold's run state behind.
void check_identical_cross_validations(const fs::path& a, const fs::path& b, const fs::path& ma, const fs::path& mb,
                                       const std::string& out_a, const std::string& out_b) {
  BOOST_TEST(fold_lines(out_a).size() == 4u);
  BOOST_TEST((fold_lines(out_a) == fold_lines(out_b)), "printed:\n" << out_a << "\nresumed:\n" << out_b);
  auto ja = nlohmann::json::parse(read_file(ma)), jb = nlohmann::json::parse(read_file(mb));
  for (const char* timing : {"epoch_ms_median", "train_seconds", "peak_rss_mb", "threads"}) {
    BOOST_TEST_REQUIRE(ja.contains(timing));
    ja.erase(timing);
    jb.erase(timing);
  }
  BOOST_TEST((ja == jb), "metrics:\n" << ja.dump() << "\nresumed:\n" << jb.dump());
  for (int k = 1; k <= 3; ++k) {
    const fs::path fa = a / ("fold_" + std::to_string(k)), fb = b / ("fold_" + std::to_string(k));
    BOOST_TEST(!fs::exists(fa / "resume"));
    BOOST_TEST(!fs::exists(fb / "resume"), fb / "resume");
    int files = 0;
    for (const auto& entry : fs::directory_iterator(fa)) {
      const fs::path other = fb / entry.path().filename();
      BOOST_TEST_REQUIRE(fs::exists(other), other);
      BOOST_TEST((read_file(entry.path()) == read_file(other)), other << " differs");
      ++files;
    }
    BOOST_TEST(files == static_cast<int>(std::distance(fs::directory_iterator(fb), fs::directory_iterator{})));
    BOOST_TEST(files >= 12);  // config.json, counters.json, two layers' weight, attention and bias, the MLP's two layers
  }
}

// The uninterrupted run, and the same command stopped by `sig` once a line starts with `at`, then
// resumed (`--resume DIR` alone, on 1 thread); `extra` are options of both runs.
void interrupt_and_resume_folds(const std::string& at, int sig, const std::vector<std::string>& extra = {}) {
  TempDir tmp;
  const fs::path whole = tmp.path / "whole", cut = tmp.path / "cut";
  const fs::path m_whole = tmp.path / "whole.json", m_cut = tmp.path / "cut.json";
  std::string out_whole, out_cut;
  BOOST_TEST_REQUIRE(run_and_signal(graph_args(whole, m_whole, extra), "", 0, &out_whole) == 0);
  const auto j = nlohmann::json::parse(read_file(m_whole));
  BOOST_TEST((j.at("epochs_run")[0] < 30 || j.at("epochs_run")[1] < 30), "no fold stopped early");

  const int code = run_and_signal(graph_args(cut, m_cut, extra), at, sig);
  BOOST_TEST_REQUIRE(code == (sig == SIGKILL ? 1000 + SIGKILL : 128 + sig));
  BOOST_TEST(!fs::exists(m_cut));  // no metrics for an unfinished run
  int saved = 0;  // folds holding a run's state
  for (const char* fold : {"fold_1", "fold_2", "fold_3"}) saved += fs::exists(cut / fold / "resume" / "config.json");
  BOOST_TEST_REQUIRE(saved >= 1);
  BOOST_TEST_REQUIRE(run_and_signal({kTrain, "--resume", cut.string(), "--threads", "1", "--log-every", "1",
                                     "--metrics-json", m_cut.string()},
                                    "", 0, &out_cut) == 0);
  BOOST_TEST(out_cut.find("resuming from ") != std::string::npos, out_cut);
  check_identical_cross_validations(whole, cut, m_whole, m_cut, out_whole, out_cut);
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigint_then_resume_equals_an_uninterrupted_run) { interrupt_and_resume(SIGINT); }

BOOST_AUTO_TEST_CASE(sigterm_then_resume_equals_an_uninterrupted_run) { interrupt_and_resume(SIGTERM); }

// Link prediction (--task link) resumes the same way: its task, split and negatives come back.
BOOST_AUTO_TEST_CASE(link_prediction_interrupted_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume(SIGINT, {"--task", "link", "--nodes", "2000", "--edges", "16000", "--features", "16"});
}

// Mini-batches: the epoch's order, the samples and the micro-batches' dropout masks all follow
// from (seed, epoch, step), so the resumed run draws what the uninterrupted one drew.
BOOST_AUTO_TEST_CASE(minibatch_run_interrupted_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume(SIGINT, {"--batch-size", "32", "--fanout", "5,5", "--micro-batches", "2"});
}

// Batches of whole graphs on the synthetic set of graphs: the epoch's order and the dropout masks
// follow from (seed, epoch, step), and the set's options travel in the resume state.
BOOST_AUTO_TEST_CASE(graph_batch_run_interrupted_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume(SIGINT, {"--graphs", "6", "--nodes", "60", "--features", "8", "--classes", "7",
                                "--graphs-per-batch", "2", "--layers", "3", "--residual"});
}

// After a crash, the natural thing: the same command with --resume DIR appended. Every option
// equal to the saved run's is accepted; one that differs is refused naming both values; a fault
// in the state file names the file. (#27, item 9)
BOOST_AUTO_TEST_CASE(resume_accepts_the_same_options_and_refuses_others_naming_both_values) {
  TempDir tmp;
  const fs::path cut = tmp.path / "cut";
  const std::vector<std::string> command = {kTrain, "--epochs", "20", "--patience", "1000", "--log-every", "1",
                                            "--seed", "3", "--threads", "1", "--layers", "3", "--hidden", "4",
                                            "--heads", "2", "--batch-size", "64", "--fanout", "4,4,4",
                                            "--micro-batches", "2", "--nodes", "1700", "--features", "16", "--save", cut.string()};
  BOOST_TEST_REQUIRE(run_and_signal(command, "epoch 2 ", SIGINT) == 128 + SIGINT);
  BOOST_TEST_REQUIRE(fs::exists(cut / "resume" / "config.json"));
  // The command with `option` set to `value` (replaced, or added), then --resume.
  auto with = [&](const std::string& option, const std::string& value) {
    std::vector<std::string> argv = command;
    const auto at = std::find(argv.begin(), argv.end(), option);
    if (at != argv.end()) *(at + 1) = value;
    else if (!option.empty()) argv.insert(argv.end(), {option, value});
    argv.insert(argv.end(), {"--resume", cut.string(), "--quiet"});
    return gatgrad::testing::run(argv, 120);
  };
  const std::string state = (cut / "resume" / "config.json").string();
  const std::vector<std::vector<std::string>> refused = {
      {"--hidden", "5", "4"}, {"--layers", "2", "3"}, {"--batch-size", "32", "64"}, {"--fanout", "4,4,3", "4,4,4"},
      {"--micro-batches", "1", "2"}, {"--nodes", "1800", "1700"}, {"--seed", "4", "3"}, {"--lr", "0.01", "0.005"}};
  for (const auto& c : refused) {
    const auto r = with(c[0], c[1]);
    BOOST_TEST(r.code == 2, c[0] << " " << c[1] << ": exit " << r.code << " " << r.err);
    for (const std::string& word : {c[0] + " " + c[1], "resumed run's " + c[2], state})
      BOOST_TEST(r.err.find(word) != std::string::npos, c[0] << ": \"" << word << "\" not in: " << r.err);
  }
  // --preset: the preset's values of the options not given are compared too (pubmed's lr 0.01).
  const auto pubmed = with("--preset", "pubmed");
  BOOST_TEST(pubmed.code == 2, pubmed.err);
  for (const std::string& word : {std::string("--preset pubmed sets lr 0.01"), std::string("resumed run's is 0.005"), state})
    BOOST_TEST(pubmed.err.find(word) != std::string::npos, "\"" << word << "\" not in: " << pubmed.err);
  // A state whose fanout does not fit its model names the state file.
  const fs::path bad = tmp.path / "bad", again = tmp.path / "again";
  fs::copy(cut, bad, fs::copy_options::recursive);
  fs::copy(cut, again, fs::copy_options::recursive);
  {
    nlohmann::json j = nlohmann::json::parse(read_file(bad / "resume" / "config.json"));
    j["train"]["fanout"] = {4, 4};
    std::ofstream(bad / "resume" / "config.json") << j.dump(2);
  }
  const auto f = gatgrad::testing::run({kTrain, "--resume", bad.string(), "--quiet"}, 60);
  BOOST_TEST(f.code != 0);
  BOOST_TEST(f.err.find((bad / "resume" / "config.json").string()) != std::string::npos, f.err);
  BOOST_TEST(f.err.find("fanout") != std::string::npos, f.err);
  // So does one of batches of graphs on the synthetic graph's one graph (refused by make_steps).
  {
    nlohmann::json j = nlohmann::json::parse(read_file(bad / "resume" / "config.json"));
    j["train"]["batch_size"] = 0;
    j["train"]["fanout"] = {10, 10, 10};
    j["train"]["micro_batches"] = 1;
    j["train"]["graphs_per_batch"] = 2;
    std::ofstream(bad / "resume" / "config.json") << j.dump(2);
  }
  const auto g = gatgrad::testing::run({kTrain, "--resume", bad.string(), "--quiet"}, 60);
  BOOST_TEST(g.code != 0);
  BOOST_TEST(g.err.find((bad / "resume" / "config.json").string()) != std::string::npos, g.err);
  BOOST_TEST(g.err.find("graphs_per_batch") != std::string::npos, g.err);
  // The same command with --resume: accepted, and the run completes; so with --preset cora, whose
  // values (the defaults) the run had.
  const auto same = with("", "");
  BOOST_TEST(same.code == 0, same.err);
  BOOST_TEST(!fs::exists(cut / "resume"));
  std::vector<std::string> cora = command;
  cora.back() = again.string();
  cora.insert(cora.end(), {"--preset", "cora", "--resume", again.string(), "--quiet"});
  const auto with_preset = gatgrad::testing::run(cora, 120);
  BOOST_TEST(with_preset.code == 0, with_preset.err);
}

// The loop's between_epochs hook, where --checkpoint-every saves the run, comes after each epoch
// the run goes on from: never after the last one, nor after the one the early stopping ends on
// (a state saved there would resume into an epoch the run never trained).
BOOST_AUTO_TEST_CASE(between_epochs_is_called_only_after_epochs_the_run_continues_from) {
  gatgrad::CsbmOptions c;
  c.num_nodes = 300;
  c.val_size = 100;
  c.test_size = 100;
  c.seed = 4;
  const gatgrad::Dataset d = gatgrad::make_csbm(c);
  gatgrad::Preset p = gatgrad::make_preset("cora");
  const gatgrad::NodeData data = gatgrad::prepare_node_data(d, p.model.add_self_loops);
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.model.heads = 2;
  for (const auto& [max_epochs, patience] : {std::pair{6, 1000}, std::pair{200, 2}}) {
    p.train.max_epochs = max_epochs;
    p.train.patience = patience;
    gatgrad::GAT model(p.model);
    gatgrad::nn::Adam adam = gatgrad::make_optimizer(model.parameters(), p.train);
    gatgrad::TrainState state;
    std::vector<int64_t> between;
    gatgrad::TrainHooks hooks;
    hooks.between_epochs = [&](const gatgrad::TrainState& s) { between.push_back(s.epoch); };
    const gatgrad::TrainResult r = gatgrad::train_node_classifier(model, data, p.train, adam, state, hooks);
    BOOST_TEST(r.stopped_early == (patience == 2));
    BOOST_TEST(r.epochs_run < 200);
    std::vector<int64_t> all(static_cast<size_t>(r.epochs_run - 1));
    std::iota(all.begin(), all.end(), int64_t{1});
    BOOST_TEST((between == all), "max_epochs " << max_epochs << ": " << between.size() << " calls, " << r.epochs_run << " epochs");
  }
}

// Graph classification (--task graph --folds K): SIGINT in the middle of fold 2; the resumed
// run (on 1 thread) prints, writes and saves the bits of the uninterrupted one (on 2).
BOOST_AUTO_TEST_CASE(cross_validation_interrupted_mid_fold_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume_folds("fold 2/3 epoch 2 ", SIGINT);
}

// SIGTERM as fold 1 ends: fold 1's checkpoint stays, fold 2 stops after its first epochs.
BOOST_AUTO_TEST_CASE(cross_validation_interrupted_at_a_fold_boundary_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume_folds("fold 1/3 best_epoch=", SIGTERM);
}

// kill -9 as fold 1 ends, saving every epoch: wherever the kill falls (saving fold 2's start,
// replacing fold 1's state by its checkpoint, or in fold 2), one fold holds a state to resume.
BOOST_AUTO_TEST_CASE(cross_validation_killed_at_a_fold_boundary_while_checkpointing_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume_folds("fold 1/3 best_epoch=", SIGKILL, {"--checkpoint-every", "1"});
}

// kill -9 in fold 3, saving every other epoch: fold 3 continues from its last even epoch.
BOOST_AUTO_TEST_CASE(cross_validation_killed_mid_fold_while_checkpointing_then_resumed_equals_an_uninterrupted_run) {
  interrupt_and_resume_folds("fold 3/3 epoch 3 ", SIGKILL, {"--checkpoint-every", "2"});
}

// --resume of a cross-validation takes its own options as node classification's does: equal ones
// accepted, others refused naming both values and the fold's state file; a finished run has no
// fold to resume.
BOOST_AUTO_TEST_CASE(cross_validation_resume_refuses_other_options_naming_both_values) {
  TempDir tmp;
  const fs::path cut = tmp.path / "cut", m = tmp.path / "m.json";
  const std::vector<std::string> command = graph_args(cut, m, {});
  BOOST_TEST_REQUIRE(run_and_signal(command, "fold 2/3 epoch 2 ", SIGINT) == 128 + SIGINT);
  const std::string state = (cut / "fold_2" / "resume" / "config.json").string();
  BOOST_TEST_REQUIRE(fs::exists(state));
  auto with = [&](const std::string& option, const std::string& value) {
    std::vector<std::string> argv = command;
    *(std::find(argv.begin(), argv.end(), option) + 1) = value;
    argv.insert(argv.end(), {"--resume", cut.string(), "--quiet"});
    return gatgrad::testing::run(argv, 120);
  };
  for (const auto& c : std::vector<std::vector<std::string>>{{"--folds", "4", "3"}, {"--graphs", "50", "120"},
                                                             {"--layers", "3", "2"}, {"--task", "node", "graph"}}) {
    const auto r = with(c[0], c[1]);
    BOOST_TEST(r.code == 2, c[0] << " " << c[1] << ": exit " << r.code << " " << r.err);
    for (const std::string& word : {c[0] + " " + c[1], "resumed run's " + c[2], state})
      BOOST_TEST(r.err.find(word) != std::string::npos, c[0] << ": \"" << word << "\" not in: " << r.err);
  }
  const auto same = with("--seed", "3");
  BOOST_TEST(same.code == 0, same.err);
  BOOST_TEST(!fs::exists(cut / "fold_2" / "resume"));
  const auto done = gatgrad::testing::run({kTrain, "--task", "graph", "--resume", cut.string(), "--quiet"}, 60);
  BOOST_TEST(done.code == 1, done.err);
  BOOST_TEST(done.err.find("no interrupted fold") != std::string::npos, done.err);
}
