/// @file
/// Counter-based random numbers: a value is a pure function of (seed, counter), so a draw does
/// not depend on which thread made it or in what order. Dropout masks and the synthetic graph
/// generator use it; backward regenerates a dropout mask instead of storing it.
#pragma once
#include <cstdint>

namespace gatgrad {

/// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A 64-bit key for stream `stream` of seed `seed` (e.g. stream = epoch * 16 + layer).
inline uint64_t derive_key(uint64_t seed, uint64_t stream) {
  return mix64(seed * 0x9e3779b97f4a7c15ULL + mix64(stream + 0x632be59bd9b4e019ULL));
}

/// 32 random bits for element `counter` of the stream with key `key`. Uses only 32-bit integer
/// multiplies, so loops over it vectorise (AVX2 has no 64-bit multiply).
inline uint32_t hash32(uint64_t key, uint32_t counter) {
  uint32_t h = counter ^ static_cast<uint32_t>(key);
  h = (h ^ (h >> 16)) * 0x7feb352dU;
  h ^= static_cast<uint32_t>(key >> 32);
  h = (h ^ (h >> 15)) * 0x846ca68bU;
  h = (h ^ (h >> 16)) * 0x7feb352dU;
  return h ^ (h >> 15);
}

/// Uniform in [0, 1) with 24 bits, from hash32.
inline float uniform01(uint64_t key, uint32_t counter) {
  return static_cast<float>(hash32(key, counter) >> 8) * (1.0f / 16777216.0f);
}

/// A 64-bit counter-based draw (for generators that need more than 32 bits).
inline uint64_t hash64(uint64_t key, uint64_t counter) { return mix64(key ^ mix64(counter)); }

/// A 64-bit draw h as a uniform integer in [0, n) (Lemire's multiply-shift).
inline uint64_t uniform_below(uint64_t h, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * n) >> 64);
}
/// A 64-bit draw h as a uniform double in [0, 1) (its top 53 bits).
inline double uniform_unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace gatgrad
