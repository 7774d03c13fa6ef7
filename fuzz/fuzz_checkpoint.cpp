// libFuzzer target for the checkpoint reader (nn/checkpoint.cpp, and io/npy.cpp, io/json.cpp under it).
// The input is a whole checkpoint directory: its parts, separated by kSeparator, become the
// files of kFiles in that order (a part that is not there: the file is missing; an empty part:
// an empty file; a part past the last name: an unexpected file). It is loaded into a small
// model -- the parameters of a Linear(3, 2) and the counter of a Dropout -- with an Adam
// optimiser when the input has an optimizer/state.json part, without one otherwise.
// config.json is also read as gat-train reads it, by GATConfig::from_json and TrainConfig::from_json.
// Accepted outcomes: the load succeeds and returns config.json's text, or it throws a
// gatgrad::Error naming the checkpoint directory and leaves the model and the optimiser exactly
// as they were. Anything else (a crash, a sanitizer report, a leak, another exception, a
// message without the path, a model changed by a failed load) is a finding.
//   build and run: scripts/ci-fuzz.sh, or see fuzz/README.md
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/error.hpp"
#include "models/presets.hpp"
#include "nn/checkpoint.hpp"
#include "nn/optim.hpp"

namespace fs = std::filesystem;
using namespace gatgrad;

namespace {

constexpr std::string_view kSeparator = "\n#--#\n";
const char* const kFiles[] = {
    "config.json",
    "fc.weight.npy",  // <f4 [3, 2]
    "fc.bias.npy",    // <f4 [2]
    "counters.json",  // {"drop.counter": n}
    "optimizer/state.json",
    "optimizer/exp_avg.fc.weight.npy",
    "optimizer/exp_avg.fc.bias.npy",
    "optimizer/exp_avg_sq.fc.weight.npy",
    "optimizer/exp_avg_sq.fc.bias.npy",
    "unexpected.npy",
};
constexpr size_t kFileCount = sizeof kFiles / sizeof kFiles[0];
constexpr size_t kStatePart = 4;  // with this part, the load restores an Adam optimiser too

// What a Linear(3, 2) and a Dropout hold, without their forward (so the fuzz build compiles
// the checkpoint reader, the modules and the optimisers, not the ops).
struct Weights : nn::Module {
  Weights() {
    weight = register_parameter("weight", Tensor::from_vector({0.5, -0.5, 0.25, -0.25, 1, -1}, {3, 2}));
    bias = register_parameter("bias", Tensor::from_vector({0.125, -0.125}, {2}));
  }
  Tensor weight, bias;
};
struct Stream : nn::Module {
  Stream() { register_counter("counter", &counter); }
  uint64_t counter = 41;
};
struct Net : nn::Module {
  Net() {
    fc = register_module("fc", std::make_shared<Weights>());
    drop = register_module("drop", std::make_shared<Stream>());
  }
  std::shared_ptr<Weights> fc;
  std::shared_ptr<Stream> drop;
};

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_checkpoint: %s\n", what.c_str());
  std::abort();
}

// Everything a load may change, as bytes (NaN-safe comparison).
std::string snapshot(const Net& net, const nn::Optimizer* opt) {
  std::string s;
  auto add_tensor = [&](const Tensor& t) {
    if (!t.defined()) { s += "undefined;"; return; }
    const float* p = t.data<float>();
    s.append(reinterpret_cast<const char*>(p), static_cast<size_t>(t.numel()) * sizeof(float));
    s += ';';
  };
  for (const Tensor& p : net.parameters()) add_tensor(p);
  for (const auto& [name, value] : net.named_counters()) s += name + "=" + std::to_string(value) + ";";
  if (opt) {
    const nn::OptimizerState st = opt->export_state();
    s += std::to_string(st.step_count) + ";";
    for (int64_t step : st.param_steps) s += std::to_string(step) + ",";
    for (const auto& [key, value] : st.hyperparameters) s += key + "=" + std::to_string(value) + ";";
    for (const auto& per_param : st.buffers)
      for (const Tensor& t : per_param) add_tensor(t);
  }
  return s;
}

std::string g_dir;  // this process's checkpoint directory, rewritten for every input

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) finding("cannot write " + path);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  g_dir = (fs::path(tmp && *tmp ? tmp : "/tmp") / ("gatgrad-fuzz-checkpoint-" + std::to_string(::getpid()))).string();
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(g_dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The parts of the input.
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = input.find(kSeparator, start);
    if (end == std::string_view::npos || parts.size() + 1 == kFileCount) {
      parts.push_back(input.substr(start));
      break;
    }
    parts.push_back(input.substr(start, end - start));
    start = end + kSeparator.size();
  }

  // The checkpoint directory.
  std::error_code ec;
  fs::remove_all(g_dir, ec);
  fs::create_directories(g_dir);
  if (parts.size() > kStatePart) fs::create_directories(fs::path(g_dir) / "optimizer");
  for (size_t i = 0; i < parts.size(); ++i) write_file(g_dir + "/" + kFiles[i], parts[i]);

  // The load.
  Net net;
  std::unique_ptr<nn::Adam> opt;
  if (parts.size() > kStatePart) opt = std::make_unique<nn::Adam>(net.parameters(), 0.01);
  const std::string before = snapshot(net, opt.get());
  try {
    const std::string config = nn::load_checkpoint(g_dir, net, opt.get());
    if (config != parts[0]) finding("load_checkpoint returned a config.json other than the file's");
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.find(g_dir) == std::string::npos) finding("the message does not name the checkpoint: " + msg);
    if (snapshot(net, opt.get()) != before) finding("a failed load changed the model or the optimiser: " + msg);
  } catch (const std::exception& e) {
    finding(std::string("load_checkpoint threw a non-gatgrad exception: ") + e.what());
  }
  // config.json as gat-train reads it: the model's and the training's configurations (a resume
  // state's "model" and "train" objects are the same readers), each field checked against its type.
  const std::string config_path = g_dir + "/config.json";
  for (const bool model : {true, false}) {
    try {
      if (model) (void)GATConfig::from_json(std::string(parts[0]), config_path);
      else (void)TrainConfig::from_json(std::string(parts[0]), config_path);
    } catch (const Error& e) {
      if (std::string(e.what()).rfind(config_path, 0) != 0)
        finding(std::string(model ? "GATConfig" : "TrainConfig") + "::from_json: the message does not start with " +
                config_path + ": " + e.what());
    } catch (const std::exception& e) {
      finding(std::string(model ? "GATConfig" : "TrainConfig") + "::from_json threw a non-gatgrad exception: " + e.what());
    }
  }
  try {
    (void)nn::read_checkpoint_config(g_dir);
  } catch (const Error& e) {
    if (std::string(e.what()).find(g_dir) == std::string::npos) finding(std::string("read_checkpoint_config: ") + e.what());
  } catch (const std::exception& e) {
    finding(std::string("read_checkpoint_config threw a non-gatgrad exception: ") + e.what());
  }
  return 0;
}
