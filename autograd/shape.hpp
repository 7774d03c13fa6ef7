/// @file
/// Shape: the extents of a tensor, up to 6 axes, stored inline (no heap allocation per tensor).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

namespace gatgrad {

class Shape {
 public:
  static constexpr int kMaxDims = 6;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  template <class It>
  Shape(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }

  int size() const { return n_; }  ///< number of axes
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + n_; }
  void push_back(int64_t v);
  int64_t numel() const;  ///< product of extents (1 for a scalar)
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  ///< "[2708, 64]"

 private:
  int64_t d_[kMaxDims] = {};
  int n_ = 0;
};

}  // namespace gatgrad
