// One instruction-set unit of the autograd kernels. The build compiles this file once per level
// (cmake/GatgradIsa.cmake), each time with that level's -m flags and with GATGRAD_ISA_LEVEL and
// GATGRAD_ISA_NS defined, and links every copy into gatgrad_autograd; table.cpp picks one at run
// time. Everything here lives in gatgrad::GATGRAD_ISA_NS, so no function compiled for one level
// is ever the copy another level calls (tests/check-isa-units.sh verifies the object files).
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/gemm/driver.hpp"
#include "autograd/kernels/simd/self_check.hpp"
#include "autograd/kernels/softmax_loss.hpp"
#include "autograd/kernels/spmm_kernel.hpp"

namespace gatgrad::GATGRAD_ISA_NS {

template <class T>
const kernels::Kernels<T>& autograd_kernels();

template <class T>
constexpr kernels::Kernels<T> make_autograd_table() {
  return kernels::Kernels<T>{
      GATGRAD_STRINGIFY(GATGRAD_ISA_NS),
      &simd::self_check<T>,
      &gemm::gemm<T, true>,
      &gemm::gemm<T, false>,
      &spmm_rows<T>,
      &unary<T>,
      &unary_backward<T>,
      &binary<T>,
      &dropout<T>,
      &adam<T>,
      &sum<T>,
      &softmax_lines<T>,
      &softmax_lines_backward<T>,
      &cross_entropy<T>,
      &cross_entropy_backward<T>,
      &binary_cross_entropy<T>,
      &binary_cross_entropy_backward<T>,
  };
}

constexpr kernels::Kernels<float> kAutogradF32 = make_autograd_table<float>();
constexpr kernels::Kernels<double> kAutogradF64 = make_autograd_table<double>();
constexpr kernels::FloatKernels kAutogradFloat{&add_normals};

template <>
const kernels::Kernels<float>& autograd_kernels<float>() {
  return kAutogradF32;
}
template <>
const kernels::Kernels<double>& autograd_kernels<double>() {
  return kAutogradF64;
}
const kernels::FloatKernels& autograd_kernels_float() { return kAutogradFloat; }

}  // namespace gatgrad::GATGRAD_ISA_NS
