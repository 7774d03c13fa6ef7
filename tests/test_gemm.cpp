// To add a test: write a BOOST_AUTO_TEST_CASE(name) below (compare against ref_gemm, the
// xtensor reference of tests/reference.cpp, for values,
// run_with_threads for thread independence); it is picked up by ctest as part of test_gemm.
#define BOOST_TEST_MODULE gemm
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "autograd/kernels/gemm.hpp"
#include "autograd/isa.hpp"
#include "autograd/kernels/table.hpp"
#include "reference.hpp"

using gatgrad::kernels::gemm;
namespace ref = gatgrad::reference;

namespace {

// One GEMM problem with its (possibly padded) storage.
template <class T>
struct Case {
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0, lda = 0, ldb = 0, ldc = 0;
  T alpha = T(1), beta = T(0);
  std::vector<T> A, B, C;

  Case(bool ta_, bool tb_, int64_t M_, int64_t N_, int64_t K_, int64_t pad, T alpha_, T beta_,
       uint64_t seed)
      : ta(ta_), tb(tb_), M(M_), N(N_), K(K_), alpha(alpha_), beta(beta_) {
    lda = (ta ? M : K) + pad;
    ldb = (tb ? K : N) + pad;
    ldc = N + pad;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    A.resize(static_cast<size_t>((ta ? K : M) * lda));
    B.resize(static_cast<size_t>((tb ? N : K) * ldb));
    C.resize(static_cast<size_t>(M * ldc));
    for (T& x : A) x = static_cast<T>(u(rng));
    for (T& x : B) x = static_cast<T>(u(rng));
    // beta == 0 must not read C: fill it with NaN then.
    for (T& x : C)
      x = beta == T(0) ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(u(rng));
  }
  T a(int64_t i, int64_t k) const { return ta ? A[k * lda + i] : A[i * lda + k]; }
  T b(int64_t k, int64_t j) const { return tb ? B[j * ldb + k] : B[k * ldb + j]; }

  void run(std::vector<T>& out) const {
    out = C;
    gemm<T>(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, out.data(), ldc);
  }
};

// The reference (tests/reference.hpp): α op(A) op(B) + β C and the magnitude bounding its error,
// of the case's stored matrices read in float64.
template <class T>
ref::Product ref_gemm(const Case<T>& c) {
  const std::vector<double> a(c.A.begin(), c.A.end()), b(c.B.begin(), c.B.end()), cc(c.C.begin(), c.C.end());
  return ref::gemm(static_cast<double>(c.alpha), {a, c.ta ? c.K : c.M, c.ta ? c.M : c.K, c.lda, c.ta},
                   {b, c.tb ? c.N : c.K, c.tb ? c.K : c.N, c.ldb, c.tb}, static_cast<double>(c.beta),
                   {cc, c.M, c.N, c.ldc});
}

// Checks every element of C against the reference, and that padding columns are untouched.
template <class T>
void check_case(const Case<T>& c) {
  std::vector<T> out;
  c.run(out);
  const ref::Product want_c = ref_gemm(c);
  const double eps = std::numeric_limits<T>::epsilon();
  const std::string what = std::string(sizeof(T) == 4 ? "float" : "double") +
                           " ta=" + std::to_string(c.ta) + " tb=" + std::to_string(c.tb) +
                           " M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) +
                           " K=" + std::to_string(c.K) + " alpha=" + std::to_string(c.alpha) +
                           " beta=" + std::to_string(c.beta) + " ldc=" + std::to_string(c.ldc);
  int64_t bad = 0;
  for (int64_t i = 0; i < c.M && bad < 5; ++i)
    for (int64_t j = 0; j < c.ldc && bad < 5; ++j) {
      const double got = static_cast<double>(out[static_cast<size_t>(i * c.ldc + j)]);
      if (j >= c.N) {  // padding: must be exactly what was there (NaN stays NaN)
        const double was = static_cast<double>(c.C[static_cast<size_t>(i * c.ldc + j)]);
        if (!(got == was || (std::isnan(got) && std::isnan(was)))) {
          ++bad;
          BOOST_ERROR(what << ": padding C[" << i << "," << j << "] was modified");
        }
        continue;
      }
      const double want = want_c.value[static_cast<size_t>(i * c.N + j)];
      const double tol = (2.0 * static_cast<double>(c.K) + 4.0) * eps * want_c.magnitude[static_cast<size_t>(i * c.N + j)] + 1e-30;
      if (!(std::fabs(got - want) <= tol)) {
        ++bad;
        BOOST_ERROR(what << ": C[" << i << "," << j << "] = " << got << ", want " << want
                         << " (tol " << tol << ")");
      }
    }
}

// Runs f() with at most n oneTBB threads.
template <class F>
void run_with_threads(int n, F&& f) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(n));
  f();
}

template <class T>
bool bit_equal(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() &&
         std::equal(x.begin(), x.end(), y.begin(), [](T a, T b) {
           return std::memcmp(&a, &b, sizeof(T)) == 0;
         });
}

}  // namespace

BOOST_AUTO_TEST_CASE(all_transposes_odd_sizes_float) {
  uint64_t seed = 1;
  for (int t = 0; t < 4; ++t)
    for (int64_t M : {1, 7, 17, 65, 129, 300})
      for (int64_t N : {1, 7, 17, 65, 129})
        for (int64_t K : {1, 17, 300, 517})
          check_case(Case<float>(t & 1, t & 2, M, N, K, 0, 1.0f, 0.0f, seed++));
}

BOOST_AUTO_TEST_CASE(all_transposes_odd_sizes_double) {
  uint64_t seed = 1000;
  for (int t = 0; t < 4; ++t)
    for (int64_t M : {1, 7, 65, 300})
      for (int64_t N : {1, 9, 17, 129})
        for (int64_t K : {1, 17, 300, 517})
          check_case(Case<double>(t & 1, t & 2, M, N, K, 0, 1.0, 0.0, seed++));
}

BOOST_AUTO_TEST_CASE(alpha_beta_and_leading_dimensions) {
  uint64_t seed = 2000;
  const float alphas[] = {1.0f, -0.5f, 2.0f};
  const float betas[] = {0.0f, 1.0f, 0.7f, -1.5f};
  for (int t = 0; t < 4; ++t)
    for (float alpha : alphas)
      for (float beta : betas)
        for (int64_t pad : {0, 3, 17}) {
          check_case(Case<float>(t & 1, t & 2, 65, 33, 129, pad, alpha, beta, seed++));
          check_case(Case<double>(t & 1, t & 2, 31, 70, 300, pad, double(alpha), double(beta),
                                  seed++));
        }
  // Big enough to run in parallel and to span several K blocks.
  for (int t = 0; t < 4; ++t) {
    check_case(Case<float>(t & 1, t & 2, 300, 129, 700, 5, 0.75f, 0.0f, seed++));
    check_case(Case<float>(t & 1, t & 2, 257, 200, 600, 1, -1.25f, 0.5f, seed++));
    check_case(Case<double>(t & 1, t & 2, 130, 257, 520, 2, 1.0, 1.0, seed++));
  }
}

BOOST_AUTO_TEST_CASE(several_packed_b_regions) {
  // K·N beyond one packed-B region (8 MiB): the driver loops over column and K groups.
  check_case(Case<float>(false, false, 13, 1100, 2000, 0, 1.0f, 0.5f, 3001));
  check_case(Case<float>(true, true, 13, 1100, 2000, 3, 1.0f, 0.0f, 3002));
  check_case(Case<double>(false, true, 9, 2000, 600, 0, 1.0, 0.0, 3003));
  check_case(Case<double>(true, false, 9, 2000, 600, 1, -1.0, 2.0, 3004));
}

BOOST_AUTO_TEST_CASE(long_k_into_a_small_c) {
  // M·N small and K long (the weight gradient Xᵀ·dH of a big graph): K is cut into chunks whose
  // partial products are added in order. Every transpose, alpha/beta, a K not a multiple of a
  // block, leading dimensions with padding.
  for (int t = 0; t < 4; ++t) {
    check_case(Case<float>(t & 1, t & 2, 40, 30, 20011, t, 1.0f, 0.0f, 3101 + t));
    check_case(Case<double>(t & 1, t & 2, 17, 9, 17000, 1, -0.5, 2.0, 3111 + t));
    // narrow too (N <= one batch: the output layer's weight gradient on a big graph)
    check_case(Case<float>(t & 1, t & 2, 64, 7, 20011, t, 1.0f, 0.0f, 3121 + t));
  }
}

BOOST_AUTO_TEST_CASE(degenerate_sizes) {
  // K == 0: C = beta·C (beta == 0 writes zeros over NaN); M or N == 0: nothing happens.
  for (float beta : {0.0f, 1.0f, 0.5f}) {
    Case<float> c(false, false, 5, 7, 0, 2, 1.0f, beta, 4001);
    c.lda = 1;
    std::vector<float> out;
    c.run(out);
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 7; ++j) {
        const float want = beta == 0.0f ? 0.0f : beta * c.C[static_cast<size_t>(i * c.ldc + j)];
        BOOST_CHECK_EQUAL(out[static_cast<size_t>(i * c.ldc + j)], want);
      }
  }
  // alpha == 0: A and B are not read (they may hold NaN).
  Case<double> z(false, false, 8, 8, 8, 0, 0.0, 2.0, 4002);
  std::fill(z.A.begin(), z.A.end(), std::numeric_limits<double>::quiet_NaN());
  std::vector<double> out;
  z.run(out);
  for (size_t i = 0; i < out.size(); ++i) BOOST_CHECK_EQUAL(out[i], 2.0 * z.C[i]);
  std::vector<float> none;
  gemm<float>(false, false, 0, 5, 5, 1.0f, nullptr, 5, nullptr, 5, 0.0f, none.data(), 5);
  gemm<float>(false, false, 5, 0, 5, 1.0f, nullptr, 5, nullptr, 1, 0.0f, none.data(), 0);
}

BOOST_AUTO_TEST_CASE(bad_arguments_throw) {
  std::vector<float> a(100), b(100), c(100);
  BOOST_CHECK_THROW(gemm<float>(false, false, -1, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f,
                                c.data(), 2),
                    std::exception);
  BOOST_CHECK_THROW(gemm<float>(false, false, 4, 4, 4, 1.0f, a.data(), 3, b.data(), 4, 0.0f,
                                c.data(), 4),
                    std::exception);
  BOOST_CHECK_THROW(gemm<float>(false, false, 4, 4, 4, 1.0f, a.data(), 4, b.data(), 4, 0.0f,
                                c.data(), 3),
                    std::exception);
}

BOOST_AUTO_TEST_CASE(bit_identical_for_any_thread_count) {
  // The GAT shapes (forward and weight gradient) and a square one, every transpose, beta 0 and 1.
  struct Shape {
    int64_t M, N, K;
  };
  const Shape shapes[] = {{1000, 64, 1433}, {1433, 64, 1000}, {400, 384, 520},
                          {2708, 7, 64}, {64, 7, 2708},   // the narrow path (GAT's output layer)
                          {128, 64, 20000},                // K split into chunks (a big graph's dW)
                          {64, 8, 20000}};                 // ... also when C is narrow
  const int hw = std::max(2, tbb::this_task_arena::max_concurrency());
  uint64_t seed = 5000;
  for (const Shape& s : shapes)
    for (int t = 0; t < 4; ++t)
      for (float beta : {0.0f, 1.0f}) {
        Case<float> c(t & 1, t & 2, s.M, s.N, s.K, 1, 1.0f, beta, seed++);
        std::vector<float> one, two, many;
        run_with_threads(1, [&] { c.run(one); });
        run_with_threads(2, [&] { c.run(two); });
        run_with_threads(hw, [&] { c.run(many); });
        BOOST_CHECK_MESSAGE(bit_equal(one, two), "1 vs 2 threads differ: M=" << s.M << " N="
                                                     << s.N << " K=" << s.K << " t=" << t);
        BOOST_CHECK_MESSAGE(bit_equal(one, many), "1 vs " << hw << " threads differ");
      }
  Case<double> d(true, false, 700, 96, 900, 0, 1.0, 0.0, seed++);
  std::vector<double> one, two;
  run_with_threads(1, [&] { d.run(one); });
  run_with_threads(2, [&] { d.run(two); });
  BOOST_CHECK(bit_equal(one, two));
}

BOOST_AUTO_TEST_CASE(nested_calls_from_parallel_tasks) {
  // gemm called from inside oneTBB tasks (each call parallel itself): same bits as alone.
  constexpr int kCalls = 6;
  std::vector<Case<float>> cases;
  for (int i = 0; i < kCalls; ++i)
    cases.emplace_back(i & 1, i & 2, 200 + 13 * i, 64 + i, 300, 0, 1.0f, 0.0f, 6000 + i);
  std::vector<std::vector<float>> alone(kCalls), nested(kCalls);
  for (int i = 0; i < kCalls; ++i) cases[static_cast<size_t>(i)].run(alone[static_cast<size_t>(i)]);
  tbb::parallel_for(0, kCalls, [&](int i) {
    cases[static_cast<size_t>(i)].run(nested[static_cast<size_t>(i)]);
  });
  for (int i = 0; i < kCalls; ++i)
    BOOST_CHECK(bit_equal(alone[static_cast<size_t>(i)], nested[static_cast<size_t>(i)]));
}

// ---- every instruction-set level: the one rule, the assembly kernel, the SIMD layer ----

namespace {

namespace kn = gatgrad::kernels;

// The value gemm must give on a level (autograd/kernels/gemm/blocking.hpp): K in blocks of
// kc = min(256, round_up(ceil(K / ceil(K / 256)), 8)); per block the chain acc = fma(a, b, acc)
// from 0 (a·b then + acc where the level has no FMA), then q = 0: alpha·acc (beta 0),
// alpha·acc + C (beta 1), fma(beta, C, alpha·acc); q > 0: alpha·acc + C. (Not split-K shapes.)
template <class T>
std::vector<T> rule_gemm(const Case<T>& c, bool fused) {
  auto madd = [fused](T a, T b, T acc) {
    if (fused) return std::fma(a, b, acc);
    const T p = a * b;
    return p + acc;
  };
  const int64_t nb = (c.K + 255) / 256;
  const int64_t kc = std::min<int64_t>(256, ((c.K + nb - 1) / nb + 7) / 8 * 8);
  std::vector<T> out = c.C;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      T& y = out[static_cast<size_t>(i * c.ldc + j)];
      for (int64_t k0 = 0, q = 0; k0 < c.K; k0 += kc, ++q) {
        T acc = 0;
        for (int64_t k = k0; k < std::min(c.K, k0 + kc); ++k) acc = madd(c.a(i, k), c.b(k, j), acc);
        const T scaled = c.alpha != T(1) ? c.alpha * acc : acc;
        if (q > 0 || c.beta == T(1))
          y = scaled + y;
        else if (c.beta == T(0))
          y = scaled;
        else
          y = madd(c.beta, y, scaled);
      }
    }
  return out;
}

template <class T>
std::vector<Case<T>> rule_cases() {
  std::vector<Case<T>> cases;
  uint64_t seed = 900;
  for (auto [ta, tb] : {std::pair{false, false}, {true, false}, {false, true}, {true, true}})
    for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{37, 45, 300}, {13, 7, 530}, {64, 64, 64}, {6, 33, 1},
                           {101, 16, 1025}, {9, 5, 8}})
      for (T beta : {T(0), T(1), T(0.5)}) cases.emplace_back(ta, tb, M, N, K, 1, T(0.75), beta, seed++);
  return cases;
}

template <class T>
void check_rule_on_every_level() {
  for (kn::Isa isa : kn::compiled_isas()) {
    if (!kn::cpu_supports(isa)) continue;
    const kn::Kernels<T>& t = kn::table_of<T>(isa);
    for (const Case<T>& c : rule_cases<T>()) {
      const std::vector<T> want = rule_gemm(c, isa != kn::Isa::sse2);
      for (bool portable : {false, true}) {
        std::vector<T> out = c.C;
        (portable ? t.gemm_portable : t.gemm)(
            kn::GemmArgs<T>{c.ta, c.tb, c.M, c.N, c.K, c.alpha, c.A.data(), c.lda, c.B.data(), c.ldb, c.beta, out.data(),
                            c.ldc},
            kn::tbb_runner());
        BOOST_TEST(bit_equal(out, want), kn::isa_name(isa) << (portable ? " portable" : "") << " ta=" << c.ta << " tb="
                                                           << c.tb << " M=" << c.M << " N=" << c.N << " K=" << c.K
                                                           << " beta=" << c.beta << ": not the rule's bits");
      }
    }
  }
}

}  // namespace

// Every path (tiled with edge tiles, narrow, the AVX2 assembly k loop and the portable one)
// computes the rule of blocking.hpp exactly, on every level the CPU runs.
BOOST_AUTO_TEST_CASE(every_level_computes_the_one_rule_float) { check_rule_on_every_level<float>(); }
BOOST_AUTO_TEST_CASE(every_level_computes_the_one_rule_double) { check_rule_on_every_level<double>(); }

// The SIMD layer's intrinsic paths equal its generic ones (autograd/kernels/simd/self_check.hpp).
BOOST_AUTO_TEST_CASE(simd_fast_paths_equal_the_generic_ones) {
  for (kn::Isa isa : kn::compiled_isas()) {
    if (!kn::cpu_supports(isa)) continue;
    char message[256] = "";
    BOOST_TEST(kn::table_of<float>(isa).simd_self_check(message, sizeof message) == 0,
               kn::isa_name(isa) << " float: " << message);
    BOOST_TEST(kn::table_of<double>(isa).simd_self_check(message, sizeof message) == 0,
               kn::isa_name(isa) << " double: " << message);
  }
}
