// `gat-bench train --profile`: after the timed epochs (or mini-batch steps), the same steps run
// again with the op profile on (autograd/profile.hpp), and a table gives, per epoch or step, each
// op kind's calls, time and oneTBB parallel regions in the forward pass, the backward pass and
// the optimiser's step, what ran outside the ops, and the regions of one inference pass.
#pragma once
#include <cstdint>
#include <functional>

#include "autograd/profile.hpp"

namespace gatgrad::bench {

struct ProfiledSteps {
  profile::Profile profile;
  int64_t steps = 0;
  double seconds = 0;  // wall time of all the steps
};

// Runs step() `steps` times with the profile on and collected from zero; leaves it off.
ProfiledSteps profile_steps(int64_t steps, const std::function<void()>& step);

// The parallel regions (on any thread) of one call of f, with the profile on; leaves it off.
int64_t regions_of(const std::function<void()>& f);

// Prints the table, per `unit` ("epoch", "step"): one line per op kind and phase (calls, µs,
// regions), the sums in ops and outside them, the whole; then `infer_regions` (when >= 0: not
// measured otherwise) and the closing key=value line `profile_<unit>_us=.. profile_regions_per_<unit>=..
// profile_infer_regions=..`.
void print_profile(const ProfiledSteps& run, const char* unit, int64_t infer_regions);

}  // namespace gatgrad::bench
