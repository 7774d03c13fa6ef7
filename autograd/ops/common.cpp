#include "autograd/ops/common.hpp"

namespace gatgrad::detail {

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw Error(std::string(op) + ": inputs have different dtypes " + a.describe() + " and " +
                b.describe());
}

int normalize_axis(const char* op, int axis, int ndim) {
  int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    throw Error(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for " +
                std::to_string(ndim) + " axes");
  return a;
}

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  const int nd = std::max(a.size(), b.size());
  Shape out;
  for (int i = 0; i < nd; ++i) {
    const int ia = a.size() - nd + i, ib = b.size() - nd + i;
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw Error(std::string(op) + ": shapes " + a.str() + " and " + b.str() + " do not broadcast");
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

void broadcast_strides(const Shape& in, const Shape& out, int64_t* strides) {
  const int nd = out.size(), off = out.size() - in.size();
  int64_t stride = 1;
  for (int ax = nd - 1; ax >= 0; --ax) {
    const int iax = ax - off;
    if (iax < 0 || in[iax] == 1) {
      strides[ax] = 0;
    } else {
      strides[ax] = stride;
    }
    if (iax >= 0) stride *= in[iax];
  }
}

bool exclusively_held(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl().storage.use_count() == 1;
}

void accumulate_grad(const Tensor& target, const Tensor& g) {
  if (!target.requires_grad()) return;
  if (!target.has_grad() && g.shape() == target.shape() && g.dtype() == target.dtype()) {
    // The first gradient: g itself when nothing else holds it (the d output that backward()
    // handed to a pass-through closure such as add's), else a copy; never zeros plus an add.
    target.set_grad(exclusively_held(g) ? g : g.clone());
    return;
  }
  Tensor tg = target.grad_accum();
  dispatch(g.dtype(), [&]<class T>() {
    T* dst = tg.data<T>();
    const T* src = g.data<T>();
    if (g.shape() == target.shape()) {
      binary_kernel(kernels::BinaryOp::add, static_cast<const T*>(dst), src, dst, g.numel());
      return;
    }
    // Sum over broadcast axes. Rows of g along the last axis are added in row order (serial,
    // deterministic); a target that is stretched along the last axis takes the row sum.
    const Shape& out = g.shape();
    const int nd = out.size();
    int64_t st[Shape::kMaxDims];
    broadcast_strides(target.shape(), out, st);
    const int64_t inner = nd ? out[nd - 1] : 1;
    const int64_t rows = inner ? g.numel() / inner : 0;
    const bool stretched_inner = nd && st[nd - 1] == 0;
    RowOffsets walk(out, st, st, 0);
    for (int64_t r = 0; r < rows; ++r, walk.next()) {
      const int64_t off = walk.a();
      const T* row = src + r * inner;
      if (stretched_inner) {
        dst[off] += kernels::table<T>().sum(row, inner);
      } else {
        add_into(dst + off, row, inner);
      }
    }
  });
}

Tensor grad_for_write(const Tensor& target, bool& fresh) {
  fresh = !target.has_grad();
  if (fresh) target.set_grad(Tensor::empty(target.shape(), target.dtype()));
  return target.grad();
}

}  // namespace gatgrad::detail
