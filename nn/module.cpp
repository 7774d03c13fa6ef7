#include "nn/module.hpp"

#include <unordered_set>

namespace gatgrad::nn {

// Calls visit(dotted_name, entry) for every parameter and counter of this module and below,
// depth first, in registration order.
template <class Visit>
void Module::walk(const std::string& prefix, Visit&& visit) const {
  for (const Entry& e : entries_) {
    const std::string full = prefix.empty() ? e.name : prefix + "." + e.name;
    if (e.child)
      e.child->walk(full, visit);
    else
      visit(full, e);
  }
}

void Module::check_new_name(const char* what, const std::string& name) const {
  bool ok = !name.empty();
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  if (!ok)
    throw Error(std::string("Module::") + what + ": name '" + name +
                "' must be non-empty and use only letters, digits, '_' and '-' (it becomes a file name)");
  for (const Entry& e : entries_)
    if (e.name == name) throw Error(std::string("Module::") + what + ": name '" + name + "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor) {
  check_new_name("register_parameter", name);
  if (!tensor.defined()) throw Error("Module::register_parameter: '" + name + "' is an undefined tensor");
  if (tensor.impl().recorded)
    throw Error("Module::register_parameter: '" + name + "' (" + tensor.describe() +
                ") is the output of an op on the tape; register a leaf tensor (e.g. x.detach())");
  tensor.requires_grad_(true);
  entries_.push_back({name, tensor, nullptr, nullptr});
  return tensor;
}

void Module::register_counter(const std::string& name, uint64_t* counter) {
  check_new_name("register_counter", name);
  if (!counter) throw Error("Module::register_counter: '" + name + "' is a null pointer");
  entries_.push_back({name, Tensor(), nullptr, counter});
}

bool Module::reaches(const Module* target) const {
  if (this == target) return true;
  for (const Entry& e : entries_)
    if (e.child && e.child->reaches(target)) return true;
  return false;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
  check_new_name("register_module", name);
  if (!child) throw Error("Module::register_module: '" + name + "' is a null module");
  if (child->reaches(this))
    throw Error("Module::register_module: '" + name + "' contains this module: registering it would make a cycle");
  entries_.push_back({name, Tensor(), std::move(child), nullptr});
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::unordered_set<const TensorImpl*> seen;
  walk("", [&](const std::string& full, const Entry& e) {
    if (e.parameter.defined() && seen.insert(e.parameter.impl_ptr().get()).second) out.emplace_back(full, e.parameter);
  });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

Tensor Module::parameter(const std::string& dotted_name) const {
  for (auto& [name, p] : named_parameters())
    if (name == dotted_name) return p;
  throw Error("Module::parameter: no parameter named '" + dotted_name + "'");
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (const Entry& e : entries_)
    if (e.child) out.emplace_back(e.name, e.child);
  return out;
}

std::vector<std::pair<std::string, uint64_t>> Module::named_counters() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  std::unordered_set<const uint64_t*> seen;
  walk("", [&](const std::string& full, const Entry& e) {
    if (e.counter && seen.insert(e.counter).second) out.emplace_back(full, *e.counter);
  });
  return out;
}

void Module::set_counter(const std::string& dotted_name, uint64_t value) {
  uint64_t* slot = nullptr;
  walk("", [&](const std::string& full, const Entry& e) {
    if (!slot && e.counter && full == dotted_name) slot = e.counter;
  });
  if (!slot) throw Error("Module::set_counter: no counter named '" + dotted_name + "'");
  *slot = value;
}

void Module::train(bool on) {
  training_ = on;
  for (Entry& e : entries_)
    if (e.child) e.child->train(on);
}

void Module::zero_grad() {
  for (auto& [name, p] : named_parameters()) p.zero_grad();
}

}  // namespace gatgrad::nn
