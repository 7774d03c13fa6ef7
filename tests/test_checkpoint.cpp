// Checkpoints: a round trip restores predictions, optimiser state and dropout counters exactly; every kind of
// corrupt or mismatched checkpoint is rejected with a message naming the file and the model left unchanged.
// To add a test: save a good checkpoint with make_checkpoint(), damage a copy of it, and check the DataError's
// message and that snapshot() of the model is unchanged (expect_rejected does both).
#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"
#include "io/npy.hpp"
#include "nn/checkpoint.hpp"
#include "nn/dropout.hpp"
#include "nn/linear.hpp"
#include "testing.hpp"

using namespace gatgrad;
namespace fs = std::filesystem;

namespace {

// fc1 -> dropout -> relu -> fc2, and a float64 parameter the forward does not use (it never
// gets a gradient, so the optimiser keeps no state for it).
struct Net : nn::Module {
  explicit Net(int64_t hidden = 4, uint64_t seed = 1) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(5, hidden, true, seed));
    drop = register_module("drop", std::make_shared<nn::Dropout>(0.5, seed + 10));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(hidden, 3, true, seed + 1));
    scale = register_parameter("scale", Tensor::full({2}, 0.5, DType::f64));
  }
  Tensor forward(const Tensor& x) { return fc2->forward(relu(drop->forward(fc1->forward(x)))); }
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::Dropout> drop;
  Tensor scale;
};

const std::string kConfig = "{\"model\": \"net\", \"hidden\": 4, \"features\": {\"normalize\": true}}";

Tensor batch_x(int step) { return uniform({6, 5}, -1.0, 1.0, 1000 + static_cast<uint64_t>(step)); }
const std::vector<int64_t> kLabels = {0, 1, 2, 1, 0, 2};

// One training step on the step's batch (rows 0..3 are the "train" rows).
void train_step(Net& net, nn::Optimizer& opt, int step) {
  net.train();
  opt.zero_grad();
  backward(cross_entropy(net.forward(batch_x(step)), kLabels, {0, 1, 2, 3}));
  opt.step();
}

std::vector<double> predict(Net& net) {
  NoGradGuard no_grad;
  net.eval();
  std::vector<double> y = net.forward(batch_x(99)).to_vector();
  net.train();
  return y;
}

// Everything a load could change, by value.
struct Snapshot {
  std::vector<std::vector<double>> params;
  std::vector<std::pair<std::string, uint64_t>> counters;
  int64_t steps = 0;
  std::vector<int64_t> param_steps;
  std::vector<std::vector<double>> buffers;
  double lr = 0;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const Net& net, const nn::Optimizer& opt) {
  Snapshot s;
  for (const Tensor& p : net.parameters()) s.params.push_back(p.to_vector());
  s.counters = net.named_counters();
  const nn::OptimizerState o = opt.export_state();
  s.steps = o.step_count;
  s.param_steps = o.param_steps;
  for (const auto& per_param : o.buffers)
    for (const Tensor& t : per_param) s.buffers.push_back(t.defined() ? t.to_vector() : std::vector<double>{});
  s.lr = opt.lr();
  return s;
}

// A directory under the system's temp directory, removed with everything in it at the end.
struct TempRoot {
  fs::path root;
  TempRoot() {
    static int n = 0;
    root = fs::temp_directory_path() / ("gatgrad-test-checkpoint-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~TempRoot() { fs::remove_all(root); }
  std::string path(const std::string& name) const { return (root / name).string(); }
  // Names in the root: to spot leftover .tmp- / .old- directories.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

// A model trained for 3 steps with Adam, saved at `dir`.
void make_checkpoint(const std::string& dir) {
  Net net;
  nn::Adam opt(net.parameters(), 0.01, 0.9, 0.999, 1e-8, 5e-4);
  for (int s = 0; s < 3; ++s) train_step(net, opt, s);
  nn::save_checkpoint(dir, net, &opt, kConfig);
}

using testing::message_has;  // (tests/testing.hpp)

// Loading `dir` into a trained model must throw DataError containing every string in `want`,
// and change nothing.
void expect_rejected(const std::string& dir, const std::vector<std::string>& want) {
  Net net(4, 7);
  nn::Adam opt(net.parameters(), 0.02);
  train_step(net, opt, 0);
  const Snapshot before = snapshot(net, opt);
  try {
    nn::load_checkpoint(dir, net, &opt);
    BOOST_ERROR("loading " << dir << " should have failed");
  } catch (const DataError& e) {
    for (const std::string& w : want) BOOST_TEST(message_has(e, w), "message \"" << e.what() << "\" lacks \"" << w << "\"");
  }
  BOOST_TEST((snapshot(net, opt) == before), "the model or optimiser changed on a failed load of " << dir);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_restores_predictions_state_and_counters) {
  TempRoot tmp;
  const std::string dir = tmp.path("ckpt");
  Net net;
  nn::Adam opt(net.parameters(), 0.01, 0.9, 0.999, 1e-8, 5e-4);
  for (int s = 0; s < 3; ++s) train_step(net, opt, s);
  nn::save_checkpoint(dir, net, &opt, kConfig);
  const std::vector<double> y0 = predict(net);
  const Snapshot saved = snapshot(net, opt);
  BOOST_TEST(net.drop->counter() == 3u);

  // The layout: NumPy-readable files named by the parameters.
  const std::vector<std::string> want = {"config.json", "counters.json", "fc1.bias.npy", "fc1.weight.npy", "fc2.bias.npy",
                                         "fc2.weight.npy", "optimizer", "optimizer/exp_avg.fc1.bias.npy",
                                         "optimizer/exp_avg.fc1.weight.npy", "optimizer/exp_avg.fc2.bias.npy",
                                         "optimizer/exp_avg.fc2.weight.npy", "optimizer/exp_avg_sq.fc1.bias.npy",
                                         "optimizer/exp_avg_sq.fc1.weight.npy", "optimizer/exp_avg_sq.fc2.bias.npy",
                                         "optimizer/exp_avg_sq.fc2.weight.npy", "optimizer/state.json", "scale.npy"};
  BOOST_TEST(files_in(dir) == want, boost::test_tools::per_element());
  const NpyArray w = load_npy(dir + "/fc1.weight.npy");
  BOOST_TEST(w.dtype == "<f4");
  BOOST_TEST(w.shape == std::vector<int64_t>({5, 4}), boost::test_tools::per_element());
  BOOST_TEST(w.to_double() == net.fc1->weight().to_vector());
  BOOST_TEST(load_npy(dir + "/scale.npy").dtype == "<f8");
  BOOST_TEST(tmp.entries() == std::vector<std::string>{"ckpt"}, boost::test_tools::per_element());

  // Perturb everything, then load: identical predictions bit for bit, identical state.
  for (int s = 3; s < 5; ++s) train_step(net, opt, s);
  net.scale.copy_from(Tensor::full({2}, -1.0, DType::f64));
  opt.set_lr(0.3);
  BOOST_TEST((predict(net) != y0));
  BOOST_TEST(nn::load_checkpoint(dir, net, &opt) == kConfig);
  BOOST_TEST(predict(net) == y0);
  BOOST_TEST((snapshot(net, opt) == saved));
  BOOST_TEST(opt.lr() == 0.01);
  BOOST_TEST(net.drop->counter() == 3u);
  BOOST_TEST(opt.param_step(4) == 0);  // scale never had a gradient
  BOOST_TEST(!opt.state("exp_avg", 4).defined());

  // Without an optimiser, only the model is restored (optimizer/ is ignored).
  Net other(4, 5);
  nn::load_checkpoint(dir + "/", other, nullptr);
  BOOST_TEST(predict(other) == y0);
}

BOOST_AUTO_TEST_CASE(resumed_training_matches_the_uninterrupted_run) {
  TempRoot tmp;
  const std::string dir = tmp.path("ckpt");
  // Uninterrupted: 5 steps, a checkpoint after the third.
  Net a;
  nn::Adam opt_a(a.parameters(), 0.01, 0.9, 0.999, 1e-8, 5e-4);
  for (int s = 0; s < 5; ++s) {
    train_step(a, opt_a, s);
    if (s == 2) nn::save_checkpoint(dir, a, &opt_a, kConfig);
  }
  // Resumed: the same configuration (the dropout seed is configuration, like the sizes) with
  // scrambled weights and a fresh optimiser, loaded, then steps 3 and 4.
  Net b;
  for (const Tensor& p : b.parameters()) p.copy_from(uniform(p.shape(), -3.0, 3.0, 77, p.dtype()));
  nn::Adam opt_b(b.parameters(), 0.5);
  nn::load_checkpoint(dir, b, &opt_b);
  for (int s = 3; s < 5; ++s) train_step(b, opt_b, s);
  BOOST_TEST((snapshot(b, opt_b) == snapshot(a, opt_a)));  // dropout masks, Adam moments, step counts: all exact
}

BOOST_AUTO_TEST_CASE(sgd_state_round_trips) {
  TempRoot tmp;
  Net net;
  nn::SGD opt(net.parameters(), 0.1, 0.9, 1e-4, 0.0, true);
  for (int s = 0; s < 2; ++s) train_step(net, opt, s);
  nn::save_checkpoint(tmp.path("sgd"), net, &opt, "{}");
  const Snapshot saved = snapshot(net, opt);
  train_step(net, opt, 2);
  nn::load_checkpoint(tmp.path("sgd"), net, &opt);
  BOOST_TEST((snapshot(net, opt) == saved));
  BOOST_TEST(fs::exists(tmp.path("sgd") + "/optimizer/momentum_buffer.fc1.weight.npy"));
  // An Adam checkpoint does not load into SGD.
  nn::Adam adam(net.parameters(), 0.1);
  nn::save_checkpoint(tmp.path("adam"), net, &adam, "{}");
  BOOST_CHECK_EXCEPTION(nn::load_checkpoint(tmp.path("adam"), net, &opt), DataError, [](const DataError& e) {
    return message_has(e, "optimizer/state.json") && message_has(e, "adam, not sgd");
  });
}

// ---- rejected checkpoints, each with the model unchanged ----

BOOST_AUTO_TEST_CASE(rejects_missing_directory) {
  TempRoot tmp;
  expect_rejected(tmp.path("nowhere"), {"nowhere", "missing checkpoint directory"});
  write_file(tmp.path("plainfile"), "x");
  expect_rejected(tmp.path("plainfile"), {"plainfile", "not a directory"});
}

BOOST_AUTO_TEST_CASE(rejects_missing_and_unexpected_files) {
  TempRoot tmp;
  const std::string good = tmp.path("good");
  make_checkpoint(good);
  auto damaged = [&](const std::string& name) {
    const std::string d = tmp.path(name);
    fs::copy(good, d, fs::copy_options::recursive);
    return d;
  };
  std::string d = damaged("missing_param");
  fs::remove(d + "/fc2.bias.npy");
  expect_rejected(d, {d + "/fc2.bias.npy: missing file", "fc2.bias"});

  d = damaged("extra_param");
  fs::copy(d + "/fc2.bias.npy", d + "/fc3.bias.npy");
  expect_rejected(d, {d + "/fc3.bias.npy: unexpected file", "no parameter 'fc3.bias'"});

  d = damaged("extra_other");
  write_file(d + "/notes.txt", "hello");
  expect_rejected(d, {d + "/notes.txt: unexpected file"});

  d = damaged("missing_config");
  fs::remove(d + "/config.json");
  expect_rejected(d, {d + "/config.json: missing file"});

  d = damaged("missing_counters");
  fs::remove(d + "/counters.json");
  expect_rejected(d, {d + "/counters.json: missing file"});

  d = damaged("bad_counters");
  write_file(d + "/counters.json", "{\"drop.counter\": 3, \"conv9.counter\": 1}");
  expect_rejected(d, {d + "/counters.json", "conv9.counter"});

  d = damaged("missing_optimizer_state");
  fs::remove(d + "/optimizer/exp_avg_sq.fc1.weight.npy");
  expect_rejected(d, {d + "/optimizer/exp_avg_sq.fc1.weight.npy: missing file"});

  d = damaged("extra_optimizer_state");
  fs::copy(d + "/optimizer/exp_avg.fc1.bias.npy", d + "/optimizer/exp_avg.scale.npy");
  expect_rejected(d, {d + "/optimizer/exp_avg.scale.npy: unexpected file"});

  d = damaged("no_optimizer");
  fs::remove_all(d + "/optimizer");
  expect_rejected(d, {d + "/optimizer", "no optimiser state"});

  d = damaged("optimizer_names");
  {
    std::ifstream in(d + "/optimizer/state.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find("\"fc2.bias\"");
    BOOST_REQUIRE(at != std::string::npos);
    text.replace(at, 10, "\"fc9.bias\"");
    write_file(d + "/optimizer/state.json", text);
  }
  expect_rejected(d, {d + "/optimizer/state.json", "fc2.bias"});
}

BOOST_AUTO_TEST_CASE(rejects_wrong_shape_and_dtype) {
  TempRoot tmp;
  // A model with 6 hidden units saved, loaded into one with 4.
  const std::string wide = tmp.path("wide");
  {
    Net net(6);
    nn::Adam opt(net.parameters(), 0.01);
    train_step(net, opt, 0);
    nn::save_checkpoint(wide, net, &opt, kConfig);
  }
  expect_rejected(wide, {wide + "/fc1.weight.npy: shape [5, 6] does not match the model's [5, 4]"});

  const std::string d = tmp.path("f64");
  make_checkpoint(d);
  const std::vector<double> values(20, 0.5);
  save_npy(d + "/fc1.weight.npy", values.data(), {5, 4});
  expect_rejected(d, {d + "/fc1.weight.npy: dtype <f8 does not match the model's float32"});

  const std::string i = tmp.path("int");
  make_checkpoint(i);
  const std::vector<int32_t> ints(3, 1);
  save_npy(i + "/fc2.bias.npy", ints.data(), {3});
  expect_rejected(i, {i + "/fc2.bias.npy: dtype <i4"});
}

BOOST_AUTO_TEST_CASE(rejects_corrupt_files) {
  TempRoot tmp;
  const std::string t = tmp.path("truncated");
  make_checkpoint(t);
  fs::resize_file(t + "/fc1.weight.npy", fs::file_size(t + "/fc1.weight.npy") - 6);
  expect_rejected(t, {t + "/fc1.weight.npy: truncated"});

  const std::string h = tmp.path("header");
  make_checkpoint(h);
  fs::resize_file(h + "/fc2.weight.npy", 20);
  expect_rejected(h, {h + "/fc2.weight.npy", "truncated"});

  const std::string m = tmp.path("magic");
  make_checkpoint(m);
  write_file(m + "/scale.npy", "definitely not a numpy file");
  expect_rejected(m, {m + "/scale.npy: not a .npy file"});

  const std::string c = tmp.path("config");
  make_checkpoint(c);
  write_file(c + "/config.json", "{\"model\": \"net\", \"hidden\": ");
  expect_rejected(c, {c + "/config.json: invalid JSON"});

  const std::string s = tmp.path("state");
  make_checkpoint(s);
  write_file(s + "/optimizer/state.json", "[1, 2]");
  expect_rejected(s, {s + "/optimizer/state.json"});
}

// ---- atomic replacement ----

BOOST_AUTO_TEST_CASE(save_replaces_an_existing_checkpoint_completely) {
  TempRoot tmp;
  const std::string dir = tmp.path("ckpt");
  make_checkpoint(dir);
  // A different model (other names, no counters, no optimiser) saved over it.
  nn::Linear lin(2, 3, true, 9);
  nn::save_checkpoint(dir, lin, nullptr, "{\"model\": \"linear\"}");
  BOOST_TEST(files_in(dir) == std::vector<std::string>({"bias.npy", "config.json", "weight.npy"}), boost::test_tools::per_element());
  BOOST_TEST(tmp.entries() == std::vector<std::string>{"ckpt"}, boost::test_tools::per_element());  // no .tmp- / .old- left
  nn::Linear back(2, 3, true, 10);
  BOOST_TEST(nn::load_checkpoint(dir, back, nullptr) == "{\"model\": \"linear\"}");
  BOOST_TEST(back.weight().to_vector() == lin.weight().to_vector());
  // Saving again with a trailing slash replaces it in place too.
  nn::save_checkpoint(dir + "/", lin, nullptr, "[]");
  BOOST_TEST(tmp.entries() == std::vector<std::string>{"ckpt"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fallback_replacement_with_two_renames) {
  TempRoot tmp;
  const std::string dir = tmp.path("ckpt"), fresh = tmp.path("ckpt.tmp-test");
  fs::create_directories(dir);
  write_file(dir + "/config.json", "{}");
  write_file(dir + "/old.npy", "old");
  fs::create_directories(fresh);
  write_file(fresh + "/config.json", "[]");
  nn::detail::replace_directory(fresh, dir, /*exchange=*/false);
  BOOST_TEST(files_in(dir) == std::vector<std::string>{"config.json"}, boost::test_tools::per_element());
  BOOST_TEST(tmp.entries() == std::vector<std::string>{"ckpt"}, boost::test_tools::per_element());
  // And with the exchange, into a directory that does not exist yet.
  const std::string fresh2 = tmp.path("new.tmp-test");
  fs::create_directories(fresh2);
  nn::detail::replace_directory(fresh2, tmp.path("new"));
  BOOST_TEST(fs::is_directory(tmp.path("new")));
  BOOST_TEST(!fs::exists(fresh2));
}

BOOST_AUTO_TEST_CASE(failed_saves_leave_the_old_checkpoint_and_no_temporaries) {
  TempRoot tmp;
  const std::string dir = tmp.path("ckpt");
  make_checkpoint(dir);
  const std::vector<std::string> before = files_in(dir);
  const std::vector<double> weight_before = load_npy(dir + "/fc1.weight.npy").to_double();
  Net net(4, 99);
  nn::Adam opt(net.parameters(), 0.01);

  BOOST_CHECK_EXCEPTION(nn::save_checkpoint(dir, net, &opt, "{\"unterminated\": "), Error,
                        [](const Error& e) { return message_has(e, "config_json is not valid JSON"); });
  nn::Linear stranger(2, 2);
  nn::Adam foreign(stranger.parameters(), 0.01);
  BOOST_CHECK_EXCEPTION(nn::save_checkpoint(dir, net, &foreign, "{}"), Error,
                        [](const Error& e) { return message_has(e, "not a parameter of the model"); });
  BOOST_CHECK_THROW(nn::save_checkpoint(tmp.path("no/such/parent/ckpt"), net, &opt, "{}"), DataError);

  BOOST_TEST(files_in(dir) == before, boost::test_tools::per_element());
  BOOST_TEST(load_npy(dir + "/fc1.weight.npy").to_double() == weight_before);
  BOOST_TEST(tmp.entries() == std::vector<std::string>{"ckpt"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(save_refuses_to_replace_a_directory_that_is_not_a_checkpoint) {
  TempRoot tmp;
  const std::string dir = tmp.path("thesis");
  fs::create_directories(dir);
  write_file(dir + "/chapter1.tex", "precious");
  nn::Linear lin(2, 2);
  BOOST_CHECK_EXCEPTION(nn::save_checkpoint(dir, lin, nullptr, "{}"), Error,
                        [](const Error& e) { return message_has(e, "not a checkpoint"); });
  BOOST_TEST(fs::exists(dir + "/chapter1.tex"));
  write_file(tmp.path("file"), "x");
  BOOST_CHECK_THROW(nn::save_checkpoint(tmp.path("file"), lin, nullptr, "{}"), Error);
  // An empty directory is fine.
  fs::create_directories(tmp.path("empty"));
  nn::save_checkpoint(tmp.path("empty"), lin, nullptr, "{}");
  BOOST_TEST(fs::exists(tmp.path("empty") + "/weight.npy"));
  BOOST_TEST(tmp.entries() == std::vector<std::string>({"empty", "file", "thesis"}), boost::test_tools::per_element());
}
