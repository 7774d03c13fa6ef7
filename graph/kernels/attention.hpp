// gat_attention's kernels: one predicate chooses the path of an op call from (H, F), and the
// forward and both backward sweeps take it from this one table; within a path every segment
// length is handled. Each path gives the general path's values bit for bit.
//   one_head  H = 1, F <= 16   (GAT's output layer)     attention_one_head.hpp
//   heads8    H = 8, F = 8     (GAT's hidden layer)     attention_heads8.hpp
//   general   anything else                            attention_general.hpp
// Private to the units.
#pragma once
#include "graph/kernels/attention_heads8.hpp"
#include "graph/kernels/attention_one_head.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

enum class AttentionPath { general, one_head, heads8 };

inline AttentionPath attention_path(int64_t H, int64_t F) {
  if (H == 1 && F <= 16) return AttentionPath::one_head;
  if (H == 8 && F == 8) return AttentionPath::heads8;
  return AttentionPath::general;
}

// The forward for the destinations [i0, i1).
template <class T>
void attention_forward(const gk::AttentionForward<T>& a, int64_t i0, int64_t i1) {
  switch (attention_path(a.H, a.F)) {
    case AttentionPath::one_head:
      for (int64_t i = i0; i < i1; ++i) one_head_alpha(a, i);
      for (int64_t i = i0; i < i1; ++i) {
        if (a.F <= 8)
          one_head_aggregate<T, 8>(a, i, i1);
        else
          one_head_aggregate<T, 16>(a, i, i1);
      }
      return;
    case AttentionPath::heads8:
      for (int64_t i = i0; i < i1; ++i) forward_heads8(a, i);
      return;
    case AttentionPath::general:
      for (int64_t i = i0; i < i1; ++i) forward_general(a, i);
      return;
  }
}

// Sweep 1 for the destinations [i0, i1) (a block of kNodeBlock: its bias sums go to its part).
// With an ELU epilogue, each dout row is first computed from the ELU output's gradient.
template <class T>
void attention_targets(const gk::AttentionTargets<T>& a, int64_t i0, int64_t i1) {
  const int64_t HF = a.H * a.F;
  T* dbias = a.dbias_part ? a.dbias_part + (i0 / gk::kNodeBlock) * a.dbias_stride : nullptr;
  if (dbias) zero_row(dbias, HF);
  const AttentionPath path = attention_path(a.H, a.F);
  for (int64_t i = i0; i < i1; ++i) {
    if (a.elu_y) elu_backward_row(a.elu_dy + i * HF, a.elu_y + i * HF, a.dout + i * HF, HF, a.elu_alpha);
    if (dbias) add_row(dbias, a.dout + i * HF, HF);
    switch (path) {
      case AttentionPath::one_head:
        if (a.F <= 8)
          targets_one_head<T, 8>(a, i);
        else
          targets_one_head<T, 16>(a, i);
        break;
      case AttentionPath::heads8: targets_heads8(a, i); break;
      case AttentionPath::general: targets_general(a, i); break;
    }
  }
}

// Sweep 2 for the sources [j0, j1) (a block of kNodeBlock: its datt sums go to its part).
template <class T>
void attention_sources(const gk::AttentionSources<T>& a, int64_t j0, int64_t j1) {
  const int64_t HF = a.H * a.F;
  T* part = a.scores && a.scores->part ? a.scores->part + (j0 / gk::kNodeBlock) * a.scores->stride : nullptr;
  if (part) zero_row(part, 2 * HF);
  switch (attention_path(a.H, a.F)) {
    case AttentionPath::one_head:
      if (a.F <= 8)
        sources_one_head<T, 8>(a, j0, j1, part);
      else
        sources_one_head<T, 16>(a, j0, j1, part);
      return;
    case AttentionPath::heads8:
      sources_heads8(a, j0, j1, part);
      return;
    case AttentionPath::general:
      for (int64_t j = j0; j < j1; ++j) sources_general(a, j, part);
      return;
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
