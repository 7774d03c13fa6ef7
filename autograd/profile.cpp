// The op-kind profile (see profile.hpp): a per-thread table of entries keyed by (op name, phase),
// a per-thread count of the parallel regions this thread started (to charge them to its ops) and
// a count over all threads.
#include "autograd/profile.hpp"

#include <chrono>
#include <cstring>

namespace gatgrad::profile {

namespace detail {
std::atomic<bool> collecting{false};
}  // namespace detail

namespace {

std::atomic<int64_t> regions_everywhere{0};
thread_local int64_t regions_here = 0;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Table {
  std::vector<OpStats> ops;
  std::vector<const char*> keys;  // the name pointer each entry was first seen with (a fast first compare)
  int64_t last_ns = 0;            // the forward clock: the previous record or timed scope
  int64_t last_regions = 0;       // regions_here then
};

Table& table() {
  thread_local Table t;
  return t;
}

OpStats& entry(Table& t, const char* op, Phase phase) {
  for (size_t k = 0; k < t.ops.size(); ++k)
    if (t.ops[k].phase == phase && (t.keys[k] == op || t.ops[k].op == op)) return t.ops[k];
  t.ops.push_back(OpStats{op, phase, 0, 0.0, 0});
  t.keys.push_back(op);
  return t.ops.back();
}

void restart_clock(Table& t, int64_t ns) {
  t.last_ns = ns;
  t.last_regions = regions_here;
}

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::forward: return "forward";
    case Phase::backward: return "backward";
    case Phase::optimizer: return "optimizer";
  }
  return "?";
}

void enable(bool on) { detail::collecting.store(on, std::memory_order_relaxed); }

void reset() {
  Table& t = table();
  t.ops.clear();
  t.keys.clear();
  regions_everywhere.store(0, std::memory_order_relaxed);
  restart_clock(t, now_ns());
}

void mark() { restart_clock(table(), now_ns()); }

Profile snapshot() {
  const Table& t = table();
  Profile p;
  for (Phase phase : {Phase::forward, Phase::backward, Phase::optimizer})
    for (const OpStats& s : t.ops)
      if (s.phase == phase) p.ops.push_back(s);
  p.regions = regions_everywhere.load(std::memory_order_relaxed);
  return p;
}

namespace detail {

void count_region(bool attribute) {
  if (attribute) ++regions_here;
  regions_everywhere.fetch_add(1, std::memory_order_relaxed);
}

void forward_record(const char* op) {
  Table& t = table();
  const int64_t ns = now_ns();
  OpStats& s = entry(t, op, Phase::forward);
  s.calls += 1;
  s.seconds += static_cast<double>(ns - t.last_ns) * 1e-9;
  s.regions += regions_here - t.last_regions;
  restart_clock(t, ns);
}

}  // namespace detail

void Scope::start() {
  regions0_ = regions_here;
  t0_ns_ = now_ns();
}

void Scope::stop() {
  Table& t = table();
  const int64_t ns = now_ns();
  OpStats& s = entry(t, op_, phase_);
  s.calls += 1;
  s.seconds += static_cast<double>(ns - t0_ns_) * 1e-9;
  s.regions += regions_here - regions0_;
  restart_clock(t, ns);
}

}  // namespace gatgrad::profile
