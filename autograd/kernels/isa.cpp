// Which instruction-set level runs: CPU feature detection (CPUID and XGETBV on x86-64; NEON is
// part of every aarch64 CPU) and the GATGRAD_ISA override. xsimd 8.1 has a detector of its own,
// but it misses the OS check for AVX-512 state; this one reads the bits itself.
#include "autograd/isa.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "autograd/error.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace gatgrad::kernels {

namespace {

#if defined(__x86_64__)
struct X86Features {
  bool avx2 = false, fma = false, avx512 = false;
};

// XCR0: which register states the OS saves on a context switch.
uint64_t xgetbv0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

X86Features detect_x86() {
  X86Features f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = xgetbv0();
  const bool os_avx = (xcr0 & 0x6) == 0x6;           // XMM and YMM state
  const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;      // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!os_avx || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.fma = fma;
  f.avx2 = (b & (1u << 5)) && fma;
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  f.avx512 = f.avx2 && os_avx512 && avx512f && avx512dq && avx512bw && avx512vl;
  return f;
}
#endif

std::atomic<int> g_active{-1};

Isa checked(Isa isa) {
  bool compiled = false;
  for (Isa c : compiled_isas()) compiled = compiled || c == isa;
  if (!compiled)
    throw UsageError(std::string("GATGRAD_ISA=") + isa_name(isa) + ": this build has no kernels for it (it has " +
                     [] {
                       std::string s;
                       for (Isa c : compiled_isas()) s += (s.empty() ? "" : ", ") + std::string(isa_name(c));
                       return s;
                     }() +
                     ")");
  if (!cpu_supports(isa))
    throw Error(std::string("instruction set ") + isa_name(isa) + " was asked for (GATGRAD_ISA), but this CPU runs at most " +
                isa_name(best_isa()));
  return isa;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::sse2: return "sse2";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::neon: return "neon";
  }
  return "?";
}

Isa isa_from_name(const std::string& name) {
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512, Isa::neon})
    if (name == isa_name(isa)) return isa;
  throw UsageError("GATGRAD_ISA=" + name + ": unknown instruction set (sse2, avx2, avx512 or neon)");
}

std::vector<Isa> compiled_isas() {
#if defined(__x86_64__)
  return {Isa::sse2, Isa::avx2, Isa::avx512};
#elif defined(__aarch64__)
  return {Isa::neon};
#else
#error "gatgrad's kernels are built for x86-64 and aarch64"
#endif
}

bool cpu_supports(Isa isa) {
#if defined(__x86_64__)
  static const X86Features f = detect_x86();
  switch (isa) {
    case Isa::sse2: return true;
    case Isa::avx2: return f.avx2;
    case Isa::avx512: return f.avx512;
    case Isa::neon: return false;
  }
  return false;
#else
  return isa == Isa::neon;
#endif
}

Isa best_isa() {
  Isa best = compiled_isas().front();
  for (Isa isa : compiled_isas())
    if (cpu_supports(isa)) best = isa;
  return best;
}

Isa active_isa() {
  int v = g_active.load(std::memory_order_acquire);
  if (v >= 0) return static_cast<Isa>(v);
  const char* env = std::getenv("GATGRAD_ISA");
  const Isa isa = env && *env ? checked(isa_from_name(env)) : best_isa();
  int expected = -1;
  g_active.compare_exchange_strong(expected, static_cast<int>(isa), std::memory_order_acq_rel);
  return static_cast<Isa>(g_active.load(std::memory_order_acquire));
}

void use_isa(Isa isa) { g_active.store(static_cast<int>(checked(isa)), std::memory_order_release); }

}  // namespace gatgrad::kernels
