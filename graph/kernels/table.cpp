// The graph kernel table of the active instruction-set level, and the per-thread scratch rows.
#include "graph/kernels/table.hpp"

#include <string>
#include <type_traits>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/isa.hpp"

#define GATGRAD_DECLARE_GRAPH_UNIT(ns)              \
  namespace gatgrad::ns {                           \
  template <class T>                                \
  const graph_kernels::Kernels<T>& graph_kernels(); \
  }
#if defined(__x86_64__)
GATGRAD_DECLARE_GRAPH_UNIT(isa_sse2)
GATGRAD_DECLARE_GRAPH_UNIT(isa_avx2)
GATGRAD_DECLARE_GRAPH_UNIT(isa_avx512)
#elif defined(__aarch64__)
GATGRAD_DECLARE_GRAPH_UNIT(isa_neon)
#endif

namespace gatgrad::graph_kernels {

template <class T>
const Kernels<T>& table_of(kernels::Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case kernels::Isa::sse2: return isa_sse2::graph_kernels<T>();
    case kernels::Isa::avx2: return isa_avx2::graph_kernels<T>();
    case kernels::Isa::avx512: return isa_avx512::graph_kernels<T>();
#elif defined(__aarch64__)
    case kernels::Isa::neon: return isa_neon::graph_kernels<T>();
#endif
    default: break;
  }
  throw Error(std::string("no graph kernels for instruction set ") + kernels::isa_name(isa) + " in this build");
}
template const Kernels<float>& table_of<float>(kernels::Isa);
template const Kernels<double>& table_of<double>(kernels::Isa);

template <class T>
const Kernels<T>& table() {
  return graph_kernels::table_of<T>(kernels::active_isa());
}
template const Kernels<float>& table<float>();
template const Kernels<double>& table<double>();

void* thread_scratch(int slot, size_t bytes) {
  // grow-only rows of 64-byte blocks (so every row is aligned for whole-vector loads)
  struct Block {
    alignas(64) unsigned char b[64];
  };
  thread_local std::vector<Block> rows[4];
  std::vector<Block>& row = rows[slot];
  const size_t blocks = (bytes + 63) / 64 + 1;  // + 1: room to read a whole Vec past the end
  if (row.size() < blocks) row.resize(blocks);
  return row.data();
}

}  // namespace gatgrad::graph_kernels
