// The autograd kernels as one table of entry points per dtype, filled by every instruction-set
// unit (autograd/kernels/unit.cpp, compiled once per level) and picked by isa.hpp's active level.
// The ops (autograd/ops/*.cpp, compiled for the baseline) call `table<T>().entry(...)`; nothing
// else crosses from baseline code into a level's code, and no level's code calls oneTBB: loops
// that run in parallel are cut into fixed blocks by the callers (autograd/parallel.hpp), or, for
// GEMM, handed back to them through a ParallelRunner.
// Arguments of more than a few values travel in small named structs.
#pragma once
#include <cstdint>

namespace gatgrad::kernels {

// Elementwise functions of one input (the ops' equations are in autograd/ops/*.cpp, the
// formulas of each forward and derivative side by side in autograd/kernels/element.hpp).
enum class UnaryOp : int32_t {
  relu,        // y = max(x, 0)
  leaky_relu,  // y = x > 0 ? x : param·x
  elu,         // y = x > 0 ? x : param·(eˣ - 1)
  sigmoid,     // y = 1 / (1 + e^-x)
  tanh,        // y = tanh x
  exp,         // y = eˣ
  log,         // y = ln x
  sqrt,        // y = √x
  square,      // y = x²
  pow,         // y = x^param
  neg,         // y = -x
  add_scalar,  // y = x + param
  mul_scalar,  // y = x · param
};
// Which of x and y the derivative of a unary function reads (the op keeps only that).
enum class UnaryInput { x, y, none };
constexpr UnaryInput backward_input(UnaryOp op) {
  switch (op) {
    case UnaryOp::relu: case UnaryOp::leaky_relu: case UnaryOp::log: case UnaryOp::square: case UnaryOp::pow:
      return UnaryInput::x;
    case UnaryOp::elu: case UnaryOp::sigmoid: case UnaryOp::tanh: case UnaryOp::exp: case UnaryOp::sqrt:
      return UnaryInput::y;
    default:
      return UnaryInput::none;
  }
}

// Elementwise functions of two inputs.
enum class BinaryOp : int32_t { add, sub, mul, div };

// Runs task(context, t) for t in [0, tasks), in parallel, each index exactly once.
struct ParallelRunner {
  void (*run)(int64_t tasks, void* context, void (*task)(void* context, int64_t t));
  int threads;  // how many threads the runner may use (>= 1)
};

// C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C (see gemm.hpp).
template <class T>
struct GemmArgs {
  bool trans_a, trans_b;
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t lda;
  const T* B;
  int64_t ldb;
  T beta;
  T* C;
  int64_t ldc;
};

// A CSR matrix's arrays (values are float whatever T is).
struct CsrView {
  int64_t rows, cols;
  const int64_t* indptr;   // [rows + 1]
  const int32_t* indices;  // [nnz]
  const float* values;     // [nnz]
};

// Y[rows, n] (=, +=) A · B[A.cols, n], for the rows [r0, r1) of A.
template <class T>
struct SpmmArgs {
  CsrView A;
  const T* B;
  int64_t n;
  T* Y;
  bool accumulate;
};

// dropout's rule: element k is kept iff (hash32(key, k) >> 8) >= threshold, and scaled by
// `scale` (= 1 / (1 - p)); threshold = ⌊p · 2²⁴⌋. The 24-bit draws are exact in float and
// double, so both dtypes keep the same elements. A pure function of (key, k): thread-independent,
// and backward regenerates it exactly.
struct DropoutRule {
  uint64_t key;
  uint32_t threshold;
  double scale;
};
inline DropoutRule dropout_rule(double p, uint64_t key) {
  return DropoutRule{key, static_cast<uint32_t>(p * 16777216.0), 1.0 / (1.0 - p)};
}

// x viewed as lines of `len` values `inner` apart: line t = (o, i) starts at o·len·inner + i.
struct Lines {
  int64_t outer, len, inner;
};

// The rows r of logits z [N, C] the loss averages over, with their labels or targets.
template <class T>
struct LossRows {
  const T* z;             // [N, C]
  int64_t C;
  const int64_t* rows;    // [count] row indices
  int64_t count;
  const int64_t* labels;  // [N] class of each row (cross-entropy)
  const T* targets;       // [N, C] 0/1 (binary cross-entropy)
};

// One Adam / AdamW step on n values (PyTorch's _single_tensor_adam / adamw update), the
// per-step scalars computed once in double as PyTorch does in Python:
//   decoupled (AdamW): p = p · decay_factor;   l2 (Adam): g = g + l2 · p
//   m = lerp(m, g, 1 - beta1)  (PyTorch's two forms: m + w (g - m) for w < 0.5, else g - (g - m)(1 - w))
//   v = beta2 v + (1 - beta2) g²;   p = p - step_size · m / (sqrt(v) / bc2_sqrt + eps)
// Only + - * / and sqrt, each rounded once: the same bits on every level.
template <class T>
struct AdamStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  double decay_factor;  // 1 - lr wd (AdamW), 1 (Adam)
  double l2;            // wd (Adam), 0 (AdamW)
  double beta1, beta2, eps;
  double step_size;     // lr / (1 - beta1^t)
  double bc2_sqrt;      // sqrt(1 - beta2^t)
};

template <class T>
struct Kernels {
  const char* isa;  // the level these entries were compiled for

  // The SIMD layer's fast paths against its generic ones on this level (simd/self_check.hpp):
  // the number of mismatches, the first one described in message.
  int (*simd_self_check)(char* message, int capacity);

  // ---- dense and sparse products ----
  void (*gemm)(const GemmArgs<T>& args, const ParallelRunner& parallel);
  // gemm with the portable micro-kernel even where an assembly one exists (the tests compare them)
  void (*gemm_portable)(const GemmArgs<T>& args, const ParallelRunner& parallel);
  void (*spmm_rows)(const SpmmArgs<T>& args, int64_t r0, int64_t r1);

  // ---- elementwise, over [0, n) (callers cut arrays into blocks) ----
  void (*unary)(UnaryOp op, T param, const T* x, T* y, int64_t n);
  // dx[k] = dy[k] · f'(x[k]), from whichever of x and y the function needs (the other may be null)
  void (*unary_backward)(UnaryOp op, T param, const T* x, const T* y, const T* dy, T* dx, int64_t n);
  // y[k] = a[k · a_step] op b[k · b_step], a step of 0 repeating one value (a broadcast)
  void (*binary)(BinaryOp op, const T* a, int64_t a_step, const T* b, int64_t b_step, T* y, int64_t n);
  // y[k] = x[k] · keep(first + k) · scale, keep by `rule`
  void (*dropout)(const DropoutRule& rule, int64_t first, const T* x, T* y, int64_t n);

  // the Adam step on the values [k0, k1)
  void (*adam)(const AdamStep<T>& step, int64_t k0, int64_t k1);

  // ---- reductions ----
  // Σ x[0..n) in the engine's fixed order (16 lanes of partial sums, then the halving tree)
  T (*sum)(const T* x, int64_t n);

  // ---- softmax along an axis: the lines [t0, t1) ----
  void (*softmax_lines)(const Lines& l, bool log_form, const T* x, T* y, int64_t t0, int64_t t1);
  // dx += y (dy - Σ y dy)  or, for log_softmax, dx += dy - e^y Σ dy
  void (*softmax_lines_backward)(const Lines& l, bool log_form, const T* y, const T* dy, T* dx, int64_t t0,
                                 int64_t t1);

  // ---- losses over rows ----
  // Σ_r (logsumexp(z_r) - z_r[label_r]), in row order, in double
  double (*cross_entropy)(const LossRows<T>& rows);
  // dz_r += scale · (softmax(z_r) - onehot(label_r))
  void (*cross_entropy_backward)(const LossRows<T>& rows, T scale, T* dz);
  // Σ_r Σ_c max(z,0) - z t + log(1 + e^-|z|), in order, in double
  double (*binary_cross_entropy)(const LossRows<T>& rows);
  // dz += scale · (σ(z) - t)
  void (*binary_cross_entropy_backward)(const LossRows<T>& rows, T scale, T* dz);
};

// Kernels that exist in float only.
struct FloatKernels {
  // out[j] += z_j ~ N(0, 1) for j < n: Box-Muller on the 24-bit draws hash32(key, 2p) and
  // hash32(key, 2p + 1) of pair p = (first + j) / 2, in unfused arithmetic (the same bits on
  // every level); first must be even
  void (*add_normals)(uint64_t key, int64_t first, float* out, int64_t n);
};

// The table of the active level (isa.hpp).
template <class T>
const Kernels<T>& table();
const FloatKernels& float_table();

// The table of level `isa` (the tests compare levels; throws for an uncompiled level).
enum class Isa;
template <class T>
const Kernels<T>& table_of(Isa isa);

// A ParallelRunner over oneTBB (simple partitioner: one task per index) with the threads the
// current arena allows; `serial` runs every task on the calling thread.
ParallelRunner tbb_runner();
ParallelRunner serial_runner();

}  // namespace gatgrad::kernels
