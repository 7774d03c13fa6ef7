/// @file
/// Instruction-set levels, and the one the kernels use, chosen once at run time.
/// Every kernel is compiled once per level of the build's architecture, each in its own unit
/// (x86-64: sse2 = the baseline, avx2 = AVX2 + FMA, avx512 = AVX-512 F/BW/DQ/VL; aarch64: neon).
/// The library and its programs need nothing beyond the baseline: they ask the CPU, and its OS,
/// what it can run and take the best level, unless GATGRAD_ISA=sse2|avx2|avx512|neon forces one.
/// Results are bit-identical on every level with FMA (avx2, avx512, neon) and for any thread
/// count; sse2 (no FMA: its multiply-adds round twice) stays within 1e-5 relative of them.
#pragma once
#include <string>
#include <vector>

namespace gatgrad::kernels {

enum class Isa { sse2, avx2, avx512, neon };

/// "sse2", "avx2", "avx512", "neon".
const char* isa_name(Isa isa);
/// The level named `name`; throws UsageError listing the names otherwise.
Isa isa_from_name(const std::string& name);

/// The levels this build has kernels for, lowest first.
std::vector<Isa> compiled_isas();
/// Whether this CPU and its OS can run level `isa` (for AVX and AVX-512: the OS saves the
/// wider registers, as XGETBV reports).
bool cpu_supports(Isa isa);
/// The best level of compiled_isas() this CPU supports.
Isa best_isa();

/// The level in use. On first call: GATGRAD_ISA if set (UsageError if the name is unknown,
/// Error naming the CPU's best level if it cannot run it), else best_isa().
Isa active_isa();
/// Switches the level (tests and benchmarks compare levels within one process). Throws as
/// active_isa() does for an unsupported level. Call it only while no kernel runs.
void use_isa(Isa isa);

}  // namespace gatgrad::kernels
