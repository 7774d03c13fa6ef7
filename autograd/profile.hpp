/// @file
/// An op-kind profile of what runs on the tape: for each op name and phase (forward, backward,
/// optimiser), its calls, the time they took and the oneTBB parallel regions they started.
/// Off by default, and then nearly free: a record, a backward closure and a parallel region each
/// pay one relaxed load of a flag and a branch.
///
///   profile::enable();
///   profile::reset();                          // this thread's table and the region count to zero
///   ... epochs: forward, backward(loss), optimizer.step() ...
///   const profile::Profile p = profile::snapshot();
///   profile::enable(false);
///
/// What an entry measures:
/// - forward: the time from the previous record (or the end of the previous timed scope, or
///   reset() / mark()) to this op's record. A forward op records after computing its output,
///   so that is the op's work, together with the code between the two ops and any op that
///   recorded nothing (one none of whose inputs requires grad: the input features' dropout).
///   Likewise for the regions started on this thread in that span.
/// - backward: the op's backward closure, timed around it (backward() of autograd/tape.hpp).
/// - optimizer: an optimiser's step() (nn/optim.hpp), one call per step.
/// The table is per thread, as the tape is; Profile::regions counts the regions every thread
/// started (a sampling task beside the step, say), so regions outside any op are the difference.
/// Under NoGradGuard nothing records: an inference pass adds to Profile::regions only.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace gatgrad::profile {

enum class Phase : uint8_t { forward, backward, optimizer };
const char* phase_name(Phase phase);  ///< "forward", "backward", "optimizer"

/// One op kind in one phase.
struct OpStats {
  std::string op;
  Phase phase = Phase::forward;
  int64_t calls = 0;
  double seconds = 0;   ///< wall time on the recording thread
  int64_t regions = 0;  ///< oneTBB parallel regions this thread started in them
};

struct Profile {
  std::vector<OpStats> ops;  ///< forward entries in first-recorded order, then backward, then optimizer
  int64_t regions = 0;       ///< every parallel region since reset(), on any thread
};

/// Turns collection on or off (for every thread; off at start).
void enable(bool on = true);
/// Empties this thread's table, sets the region count to zero and starts the forward clock.
void reset();
/// Restarts the forward clock: the next record's time and regions count from here.
void mark();
/// This thread's table and the region count.
Profile snapshot();

namespace detail {
extern std::atomic<bool> collecting;
void count_region(bool attribute);  // attribute: also charge the op running on this thread
void forward_record(const char* op);
}  // namespace detail

/// True while collection is on.
inline bool enabled() { return detail::collecting.load(std::memory_order_relaxed); }

/// Times its lifetime as one call of `op` in `phase` (when collection is on at construction).
/// `op` must outlive the scope; the table keeps a copy of the name.
class Scope {
 public:
  Scope(const char* op, Phase phase) : op_(enabled() ? op : nullptr), phase_(phase) {
    if (op_) start();
  }
  ~Scope() {
    if (op_) stop();
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void start();
  void stop();
  const char* op_;
  Phase phase_;
  int64_t t0_ns_ = 0, regions0_ = 0;
};

}  // namespace gatgrad::profile
