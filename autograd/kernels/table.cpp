// The autograd kernel table of the active instruction-set level, and the oneTBB runner that the
// units' parallel loops (GEMM) go through.
#include "autograd/kernels/table.hpp"

#include <algorithm>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "autograd/error.hpp"
#include "autograd/isa.hpp"
#include "autograd/parallel.hpp"

// The units (autograd/kernels/unit.cpp, once per level).
#define GATGRAD_DECLARE_UNIT(ns)                  \
  namespace gatgrad::ns {                         \
  template <class T>                              \
  const kernels::Kernels<T>& autograd_kernels();  \
  const kernels::FloatKernels& autograd_kernels_float(); \
  }
#if defined(__x86_64__)
GATGRAD_DECLARE_UNIT(isa_sse2)
GATGRAD_DECLARE_UNIT(isa_avx2)
GATGRAD_DECLARE_UNIT(isa_avx512)
#elif defined(__aarch64__)
GATGRAD_DECLARE_UNIT(isa_neon)
#endif

namespace gatgrad::kernels {

namespace {

template <class T>
const Kernels<T>& unit_table(Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::sse2: return isa_sse2::autograd_kernels<T>();
    case Isa::avx2: return isa_avx2::autograd_kernels<T>();
    case Isa::avx512: return isa_avx512::autograd_kernels<T>();
#elif defined(__aarch64__)
    case Isa::neon: return isa_neon::autograd_kernels<T>();
#endif
    default: break;
  }
  throw Error(std::string("no autograd kernels for instruction set ") + isa_name(isa) + " in this build");
}

void tbb_run(int64_t tasks, void* context, void (*task)(void*, int64_t)) {
  parallel_range(
      tasks, 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t != t1; ++t) task(context, t);
      },
      Partition::one_per_task);
}

void serial_run(int64_t tasks, void* context, void (*task)(void*, int64_t)) {
  for (int64_t t = 0; t < tasks; ++t) task(context, t);
}

}  // namespace

template <class T>
const Kernels<T>& table() {
  return unit_table<T>(active_isa());
}
template const Kernels<float>& table<float>();
template const Kernels<double>& table<double>();

template <class T>
const Kernels<T>& table_of(Isa isa) {
  return unit_table<T>(isa);
}
template const Kernels<float>& table_of<float>(Isa);
template const Kernels<double>& table_of<double>(Isa);

const FloatKernels& float_table() {
  switch (active_isa()) {
#if defined(__x86_64__)
    case Isa::sse2: return isa_sse2::autograd_kernels_float();
    case Isa::avx2: return isa_avx2::autograd_kernels_float();
    case Isa::avx512: return isa_avx512::autograd_kernels_float();
#elif defined(__aarch64__)
    case Isa::neon: return isa_neon::autograd_kernels_float();
#endif
    default: break;
  }
  throw Error("no float kernels for the active instruction set");
}

ParallelRunner tbb_runner() {
  int threads = tbb::this_task_arena::max_concurrency();
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads),
                                              tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism)));
  return ParallelRunner{&tbb_run, std::max(threads, 1)};
}

ParallelRunner serial_runner() { return ParallelRunner{&serial_run, 1}; }

}  // namespace gatgrad::kernels
