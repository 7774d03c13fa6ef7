#include "autograd/shape.hpp"

#include "autograd/error.hpp"

namespace gatgrad {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t v : dims) push_back(v);
}

void Shape::push_back(int64_t v) {
  if (n_ == kMaxDims) throw Error("Shape: more than 6 axes are not supported");
  if (v < 0) throw Error("Shape: negative extent " + std::to_string(v));
  d_[n_++] = v;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < n_; ++i) n *= d_[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (n_ != o.n_) return false;
  for (int i = 0; i < n_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < n_; ++i) {
    if (i) s += ", ";
    s += std::to_string(d_[i]);
  }
  return s + "]";
}

}  // namespace gatgrad
