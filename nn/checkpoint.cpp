// Checkpoint directories: written beside the old one and swapped in atomically; read into
// temporaries and validated completely before the model is touched. See checkpoint.hpp.
#include "nn/checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/file.hpp"
#include "io/json.hpp"
#include "io/npy.hpp"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)  // <linux/fs.h>: exchange source and destination atomically
#endif

namespace gatgrad::nn {

namespace fs = std::filesystem;

namespace {

constexpr const char* kConfig = "config.json";
constexpr const char* kCounters = "counters.json";
constexpr const char* kOptimizerDir = "optimizer";
// A nested checkpoint of an interrupted training run (gat-train --save DIR writes DIR/resume/).
constexpr const char* kResumeDir = "resume";
constexpr const char* kOptimizerState = "state.json";
constexpr const char* kOptimizerFormat = "gatgrad-optimizer-state";

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw DataError(path + ": " + what); }

std::string join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

// `dir` without trailing slashes; "" when it names no directory we could replace.
std::string strip_slashes(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const std::string base = fs::path(d).filename().string();
  if (d.empty() || base.empty() || base == "." || base == ".." || d == "/") return "";
  return d;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<int64_t> extents(const Tensor& t) { return {t.shape().begin(), t.shape().end()}; }

const char* npy_descr(DType d) { return d == DType::f32 ? "<f4" : "<f8"; }

// ---- writes: every file through io/file.hpp's AtomicFile, and synced to disk ----

void write_text(const std::string& path, const std::string& text) { write_file_atomically(path, text, /*sync=*/true); }

// The tensor as a .npy file (io/npy.hpp's writer, itself an AtomicFile), then synced to disk.
void write_tensor(const std::string& path, const Tensor& t) {
  dispatch(t.dtype(), [&]<class T>() { save_npy(path, t.data<T>(), extents(t)); });
  sync_path(path, false);
}

void make_directory(const std::string& path) {
  std::error_code ec;
  if (!fs::create_directory(path, ec) || ec)
    fail(path, "cannot create directory: " + (ec ? ec.message() : std::string("it already exists")));
}

// ---- reading ----

// A NaN or an infinity in a parameter (or an optimiser's moment) would give NaN logits from then
// on, accuracies computed from them, and an exit 0: refused, naming the file and the element.
void check_finite(const std::string& path, const Tensor& t) {
  dispatch(t.dtype(), [&]<class T>() {
    const T* v = t.data<T>();
    const int64_t cols = t.dim() == 2 ? t.size(1) : 1;
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (std::isfinite(v[i])) continue;
      const std::string what = std::isnan(v[i]) ? "NaN" : v[i] > 0 ? "Inf" : "-Inf";
      const std::string where = t.dim() == 2 ? " (row " + std::to_string(i / cols) + ", column " + std::to_string(i % cols) + ")" : "";
      fail(path, "element " + std::to_string(i) + where + " is " + what +
                     ": a checkpoint's values must be finite (the run that saved it had diverged, or the file was altered)");
    }
  });
}

// The parameter file at `path` as a tensor of `like`'s shape and dtype, or a DataError.
Tensor read_tensor(const std::string& path, const Tensor& like, const std::string& what) {
  if (!optional_file_present(path)) fail(path, "missing file: " + what + " has no file in the checkpoint");
  const NpyArray a = load_npy(path);  // DataError for missing, truncated or malformed files
  const bool same_dtype = a.kind() == 'f' && a.itemsize() == dtype_size(like.dtype());
  if (!same_dtype)
    fail(path, "dtype " + a.dtype + " does not match the model's " + dtype_name(like.dtype()) + " (" +
                   npy_descr(like.dtype()) + ")");
  if (a.shape != extents(like))
    fail(path, "shape " + shape_str(a.shape) + " does not match the model's " + like.shape().str());
  Tensor t = Tensor::empty(like.shape(), like.dtype());
  if (!a.bytes.empty()) std::memcpy(t.impl().storage->data(), a.bytes.data(), a.bytes.size());
  check_finite(path, t);
  return t;
}

// Names of the entries of directory `dir` (DataError when it cannot be listed).
std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) fail(dir, "cannot list the directory: " + ec.message());
  return names;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The dotted name of each of the optimiser's parameters in the model; Error when one is not
// a parameter of the model.
std::vector<std::string> optimizer_param_names(const Module& model, const Optimizer& opt, const char* op) {
  std::unordered_map<const TensorImpl*, std::string> names;
  for (const auto& [name, p] : model.named_parameters()) names.emplace(p.impl_ptr().get(), name);
  std::vector<std::string> out;
  for (size_t i = 0; i < opt.params().size(); ++i) {
    auto it = names.find(opt.params()[i].impl_ptr().get());
    if (it == names.end())
      throw Error(std::string(op) + ": parameter " + std::to_string(i) + " (" + opt.params()[i].describe() +
                  ") of the " + opt.type() + " optimiser is not a parameter of the model");
    out.push_back(it->second);
  }
  return out;
}

// ---- the optimiser's files ----

void write_optimizer(const std::string& dir, const Optimizer& opt, const std::vector<std::string>& names) {
  const OptimizerState s = opt.export_state();
  Json state = {{"format", kOptimizerFormat}, {"version", 1}, {"type", s.type}, {"step_count", s.step_count}};
  Json hyper = Json::object();
  for (const auto& [key, value] : s.hyperparameters) hyper[key] = value;
  state["hyperparameters"] = hyper;
  state["state"] = s.buffer_names;
  Json params = Json::array();
  for (size_t i = 0; i < names.size(); ++i) params.push_back({{"name", names[i]}, {"step", s.param_steps[i]}});
  state["parameters"] = params;
  make_directory(dir);
  write_text(join(dir, kOptimizerState), state.dump(2) + "\n");
  for (size_t b = 0; b < s.buffer_names.size(); ++b)
    for (size_t i = 0; i < names.size(); ++i)
      if (s.buffers[b][i].defined()) write_tensor(join(dir, s.buffer_names[b] + "." + names[i] + ".npy"), s.buffers[b][i]);
  sync_path(dir, true);
}

// Reads and checks <dir>/state.json and the buffer files against `opt` into a state that
// import_state will accept or reject (nothing is changed here).
OptimizerState read_optimizer(const std::string& dir, const Optimizer& opt, const std::vector<std::string>& names) {
  const std::string path = join(dir, kOptimizerState);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "missing directory: the checkpoint holds no optimiser state");
  const Json j = read_json_file(path);
  OptimizerState s;
  std::vector<std::string> param_order;  // names as listed in state.json
  std::vector<int64_t> steps;
  try {
    if (!j.is_object()) fail(path, "expected a JSON object");
    // The version is compared as a JSON value: get<int>() of 1e300 would be undefined behaviour.
    if (j.value("format", std::string()) != kOptimizerFormat || !j.contains("version") || j.at("version") != 1)
      fail(path, std::string("not a ") + kOptimizerFormat + " version 1 file");
    s.type = j.at("type").get<std::string>();
    if (s.type != opt.type()) fail(path, "the checkpoint's optimiser is " + s.type + ", not " + opt.type());
    s.step_count = json_field<int64_t>(j, "step_count", path);
    if (!j.at("hyperparameters").is_object()) fail(path, "hyperparameters is not an object");
    // The hyper-parameters reach the update kernel in the parameters' type: for a float32 one, each
    // must be a float32 (checked so), its value kept in double as saved.
    bool float32 = false;
    for (const Tensor& p : opt.params()) float32 = float32 || p.dtype() == DType::f32;
    for (const auto& [key, value] : j.at("hyperparameters").items()) {
      const std::string where = path + ": hyper-parameter '" + key + "'";
      if (float32) (void)json_get<float>(value, where);
      s.hyperparameters.emplace_back(key, json_get<double>(value, where));
    }
    s.buffer_names = j.at("state").get<std::vector<std::string>>();
    if (s.buffer_names != opt.state_names()) fail(path, "its state buffers do not match the " + opt.type() + " optimiser's");
    if (!j.at("parameters").is_array()) fail(path, "parameters is not an array");
    for (const Json& p : j.at("parameters")) {
      if (!p.is_object()) fail(path, "a parameters entry is not {name, step}");
      param_order.push_back(json_field<std::string>(p, "name", path + ": a parameters entry"));
      steps.push_back(json_field<int64_t>(p, "step", path + ": parameter '" + param_order.back() + "'"));
    }
  } catch (const Json::exception& e) {
    fail(path, std::string("malformed: ") + e.what());
  }
  // Parameter names: exactly the optimiser's, each once.
  std::map<std::string, int64_t> step_of;
  for (size_t k = 0; k < param_order.size(); ++k)
    if (!step_of.emplace(param_order[k], steps[k]).second) fail(path, "parameter '" + param_order[k] + "' is listed twice");
  for (const std::string& n : names)
    if (!step_of.count(n)) fail(path, "the optimiser's parameter '" + n + "' is missing");
  for (const std::string& n : param_order)
    if (std::find(names.begin(), names.end(), n) == names.end())
      fail(path, "'" + n + "' is not a parameter of the " + opt.type() + " optimiser");
  // Buffers, in the optimiser's parameter order.
  std::set<std::string> expected = {kOptimizerState};
  s.buffers.assign(s.buffer_names.size(), std::vector<Tensor>(names.size()));
  for (size_t i = 0; i < names.size(); ++i) {
    s.param_steps.push_back(step_of[names[i]]);
    if (s.param_steps[i] <= 0) continue;  // never updated: no buffers
    for (size_t b = 0; b < s.buffer_names.size(); ++b) {
      const std::string file = s.buffer_names[b] + "." + names[i] + ".npy";
      expected.insert(file);
      s.buffers[b][i] = read_tensor(join(dir, file), opt.params()[i],
                                    "the " + s.buffer_names[b] + " state of parameter '" + names[i] + "'");
    }
  }
  for (const std::string& f : list_directory(dir))
    if (!expected.count(f)) fail(join(dir, f), "unexpected file in the optimiser state");
  return s;
}

}  // namespace

// ---- staging beside the directory, and what dead processes left of it ----

namespace {

constexpr const char* kStagingKinds[] = {"tmp", "old", "next"};

// The pid of a staging sibling `<base>.<kind>-<pid>[.<anything>]` of the directory named
// `base`, and its kind; 0 when `name` is no such sibling.
pid_t staging_pid(const std::string& name, const std::string& base, std::string& kind) {
  if (name.size() <= base.size() + 1 || name.compare(0, base.size(), base) != 0 || name[base.size()] != '.') return 0;
  for (const char* k : kStagingKinds) {
    const std::string prefix = base + "." + k + "-";
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    size_t end = prefix.size();
    while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
    if (end == prefix.size() || end - prefix.size() > 9 || (end < name.size() && name[end] != '.')) return 0;
    kind = k;
    return static_cast<pid_t>(std::stol(name.substr(prefix.size(), end - prefix.size())));
  }
  return 0;
}

// Whether process `pid` exists (EPERM: it does, owned by someone else).
bool process_alive(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::string staging_path(const std::string& dir, const std::string& kind) {
  return dir + "." + kind + "-" + std::to_string(::getpid());
}

std::vector<std::string> remove_stale_staging(const std::string& dir_in) {
  std::vector<std::string> removed;
  const std::string dir = strip_slashes(dir_in);
  if (dir.empty()) return removed;
  const fs::path parent = fs::path(dir).parent_path();
  const std::string base = fs::path(dir).filename().string();
  std::error_code ec;
  std::vector<std::pair<std::string, std::string>> stale;  // (path, kind)
  for (fs::directory_iterator it(parent.empty() ? fs::path(".") : parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string kind;
    const pid_t pid = staging_pid(it->path().filename().string(), base, kind);
    if (pid > 0 && !process_alive(pid)) stale.emplace_back((parent / it->path().filename()).string(), kind);
  }
  for (const auto& [path, kind] : stale) {
    // A save killed between its two renames left the only complete checkpoint under .old: put it back.
    if (kind == "old" && !fs::exists(dir, ec) && fs::exists(join(path, kConfig), ec) &&
        ::rename(path.c_str(), dir.c_str()) == 0)
      continue;
    fs::remove_all(path, ec);
    if (!ec) removed.push_back(path);
  }
  return removed;
}

// ---- replacing a directory atomically ----

void detail::replace_directory(const std::string& fresh, const std::string& dir, bool exchange) {
  const fs::path parent = fs::path(dir).parent_path();
  const std::string parent_dir = parent.empty() ? "." : parent.string();
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (::rename(fresh.c_str(), dir.c_str()) != 0) fail(dir, std::string("cannot rename the new checkpoint into place: ") + std::strerror(errno));
    sync_path(parent_dir, true);
    return;
  }
  if (exchange) {
    if (::syscall(SYS_renameat2, AT_FDCWD, fresh.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
      sync_path(parent_dir, true);
      fs::remove_all(fresh, ec);  // the old checkpoint now lives at `fresh`
      return;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)  // anything but "cannot exchange here"
      fail(dir, std::string("cannot swap in the new checkpoint: ") + std::strerror(errno));
  }
  // Two renames: the old checkpoint stays complete under its .old name in between.
  const std::string old = staging_path(dir, "old");
  fs::remove_all(old, ec);
  if (::rename(dir.c_str(), old.c_str()) != 0) fail(dir, std::string("cannot move the old checkpoint aside: ") + std::strerror(errno));
  if (::rename(fresh.c_str(), dir.c_str()) != 0) {
    const int err = errno;
    ::rename(old.c_str(), dir.c_str());  // put the old one back
    fail(dir, std::string("cannot rename the new checkpoint into place: ") + std::strerror(err));
  }
  sync_path(parent_dir, true);
  fs::remove_all(old, ec);
}

// ---- save ----

void save_checkpoint(const std::string& dir_in, const Module& model, const Optimizer* opt, const std::string& config_json) {
  // Everything that can be checked is checked before the disk is touched.
  if (const std::string err = json_error(config_json); !err.empty())
    throw Error("save_checkpoint: config_json is not valid JSON: " + err);
  const std::string dir = strip_slashes(dir_in);
  if (dir.empty()) throw Error("save_checkpoint: '" + dir_in + "' does not name a directory to write");
  const auto params = model.named_parameters();
  const auto counters = model.named_counters();
  const std::vector<std::string> opt_names = opt ? optimizer_param_names(model, *opt, "save_checkpoint") : std::vector<std::string>{};
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw Error("save_checkpoint: " + dir + " exists and is not a directory");
    if (!fs::exists(join(dir, kConfig), ec) && !fs::is_empty(dir, ec))
      throw Error("save_checkpoint: " + dir + " exists and is not a checkpoint (no " + kConfig +
                  "); refusing to replace it");
  }

  remove_stale_staging(dir);
  const std::string tmp = staging_path(dir, "tmp");
  fs::remove_all(tmp, ec);  // left over by a crashed save of a process with our pid
  make_directory(tmp);
  try {
    write_text(join(tmp, kConfig), config_json);
    for (const auto& [name, p] : params) write_tensor(join(tmp, name + ".npy"), p);
    if (!counters.empty()) {
      Json c = Json::object();
      for (const auto& [name, value] : counters) c[name] = value;
      write_text(join(tmp, kCounters), c.dump(2) + "\n");
    }
    if (opt) write_optimizer(join(tmp, kOptimizerDir), *opt, opt_names);
    sync_path(tmp, true);
    detail::replace_directory(tmp, dir);
  } catch (...) {
    fs::remove_all(tmp, ec);  // the half-written new one (or, after a swap, the old one)
    throw;
  }
}

// ---- load ----

namespace {

// The checkpoint directory named by dir_in (trailing slashes dropped); throws when absent.
std::string checkpoint_dir(const std::string& dir_in) {
  const std::string stripped = strip_slashes(dir_in);
  const std::string dir = stripped.empty() ? dir_in : stripped;
  std::error_code ec;
  if (!fs::exists(dir, ec)) fail(dir, "missing checkpoint directory");
  if (!fs::is_directory(dir, ec)) fail(dir, "not a directory (a checkpoint is a directory)");
  return dir;
}

// config.json, verbatim once it parses.
std::string read_config(const std::string& dir) {
  const std::string config_path = join(dir, kConfig);
  const std::vector<char> config_bytes = read_whole_file(config_path);
  std::string config(config_bytes.begin(), config_bytes.end());
  parse_json(config, config_path);  // DataError "<dir>/config.json: invalid JSON: ..."
  return config;
}

}  // namespace

std::string read_checkpoint_config(const std::string& dir_in) { return read_config(checkpoint_dir(dir_in)); }

std::string load_checkpoint(const std::string& dir_in, Module& model, Optimizer* opt) {
  const std::string dir = checkpoint_dir(dir_in);
  std::error_code ec;
  const std::vector<std::string> opt_names = opt ? optimizer_param_names(model, *opt, "load_checkpoint") : std::vector<std::string>{};
  const std::string config = read_config(dir);

  // Every entry of the directory must be expected.
  const auto params = model.named_parameters();
  const auto counters = model.named_counters();
  std::set<std::string> expected = {kConfig, kOptimizerDir, kResumeDir};
  for (const auto& [name, p] : params) expected.insert(name + ".npy");
  if (!counters.empty()) expected.insert(kCounters);
  for (const std::string& f : list_directory(dir)) {
    if (expected.count(f)) continue;
    if (ends_with(f, ".npy"))
      fail(join(dir, f), "unexpected file: the model has no parameter '" + f.substr(0, f.size() - 4) + "'");
    if (f == kCounters) fail(join(dir, f), "unexpected file: the model has no counters");
    fail(join(dir, f), "unexpected file in a checkpoint");
  }

  // Parameters, into temporaries.
  std::vector<Tensor> loaded;
  for (const auto& [name, p] : params) loaded.push_back(read_tensor(join(dir, name + ".npy"), p, "the model's parameter '" + name + "'"));

  // Counters.
  std::vector<uint64_t> counter_values;
  if (!counters.empty()) {
    const std::string path = join(dir, kCounters);
    const Json c = read_json_file(path);
    if (!c.is_object()) fail(path, "expected a JSON object of counters");
    for (const auto& [name, value] : counters) {
      if (!c.contains(name)) fail(path, "the model's counter '" + name + "' is missing");
      counter_values.push_back(json_get<uint64_t>(c.at(name), path + ": counter '" + name + "'"));
    }
    for (const auto& [key, value] : c.items()) {
      bool known = false;
      for (const auto& [name, v] : counters) known = known || name == key;
      if (!known) fail(path, "'" + key + "' is not a counter of the model");
    }
  }

  // Optimiser: import_state validates everything before changing anything.
  if (opt) {
    const std::string odir = join(dir, kOptimizerDir);
    const OptimizerState state = read_optimizer(odir, *opt, opt_names);
    try {
      opt->import_state(state);
    } catch (const DataError&) {
      throw;
    } catch (const Error& e) {
      fail(join(odir, kOptimizerState), e.what());
    }
  }

  // Commit: nothing below can fail.
  for (size_t i = 0; i < params.size(); ++i) params[i].second.copy_from(loaded[i]);
  for (size_t i = 0; i < counters.size(); ++i) model.set_counter(counters[i].first, counter_values[i]);
  return config;
}

}  // namespace gatgrad::nn
