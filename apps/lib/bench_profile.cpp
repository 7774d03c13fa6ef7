#include "apps/lib/bench_profile.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace gatgrad::bench {

ProfiledSteps profile_steps(int64_t steps, const std::function<void()>& step) {
  ProfiledSteps run;
  run.steps = steps;
  profile::enable();
  profile::reset();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) step();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.profile = profile::snapshot();
  profile::enable(false);
  return run;
}

int64_t regions_of(const std::function<void()>& f) {
  profile::enable();
  profile::reset();
  f();
  const int64_t regions = profile::snapshot().regions;
  profile::enable(false);
  return regions;
}

namespace {

// A per-unit mean: whole numbers as such (an op's calls per epoch), others to two decimals.
std::string count_text(double x) {
  char buf[32];
  if (x == std::floor(x)) std::snprintf(buf, sizeof buf, "%.0f", x);
  else std::snprintf(buf, sizeof buf, "%.2f", x);
  return buf;
}

void line(const char* phase, const std::string& op, const std::string& calls, double us, double regions) {
  std::printf("  %-9s %-34s %6s %9.1f %8s\n", phase, op.c_str(), calls.c_str(), us, count_text(regions).c_str());
}

}  // namespace

void print_profile(const ProfiledSteps& run, const char* unit, int64_t infer_regions) {
  const double n = static_cast<double>(run.steps);
  std::printf("profile: per %s, mean of %lld (forward: from the previous record to this op's, so it includes "
              "ops that recorded nothing; autograd/profile.hpp)\n",
              unit, static_cast<long long>(run.steps));
  std::printf("  %-9s %-34s %6s %9s %8s\n", "phase", "op", "calls", "us", "regions");
  double op_seconds = 0;
  int64_t op_regions = 0;
  for (const profile::OpStats& s : run.profile.ops) {
    line(profile::phase_name(s.phase), s.op, count_text(static_cast<double>(s.calls) / n), s.seconds / n * 1e6,
         static_cast<double>(s.regions) / n);
    op_seconds += s.seconds;
    op_regions += s.regions;
  }
  const double outside_regions = static_cast<double>(run.profile.regions - op_regions) / n;
  line("", "in the ops above", "", op_seconds / n * 1e6, static_cast<double>(op_regions) / n);
  line("", "outside them", "", (run.seconds - op_seconds) / n * 1e6, outside_regions);
  line("", std::string("the whole ") + unit, "", run.seconds / n * 1e6, static_cast<double>(run.profile.regions) / n);
  if (infer_regions >= 0)
    std::printf("  inference (one forward pass, no tape): %lld parallel regions\n", static_cast<long long>(infer_regions));
  std::printf("profile_%s_us=%.1f profile_regions_per_%s=%s", unit, run.seconds / n * 1e6, unit,
              count_text(static_cast<double>(run.profile.regions) / n).c_str());
  if (infer_regions >= 0) std::printf(" profile_infer_regions=%lld", static_cast<long long>(infer_regions));
  std::printf("\n");
}

}  // namespace gatgrad::bench
