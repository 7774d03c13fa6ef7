// Reverse Cuthill–McKee (see node_order.hpp).
#include "graph/node_order.hpp"

#include <algorithm>
#include <numeric>

namespace gatgrad {

std::vector<int32_t> rcm_order(const Graph& g) {
  const int64_t n = g.num_nodes();  // (throws for a bipartite block)
  const std::span<const int64_t> in_ptr = g.dst_ptr(), out_ptr = g.src_ptr();
  const std::span<const int32_t> in_src = g.src(), out_dst = g.src_grouped_dst();
  std::vector<int64_t> degree(static_cast<size_t>(n));
  for (int64_t v = 0; v < n; ++v) degree[v] = (in_ptr[v + 1] - in_ptr[v]) + (out_ptr[v + 1] - out_ptr[v]);
  const auto fewer_edges = [&](int32_t a, int32_t b) { return degree[a] != degree[b] ? degree[a] < degree[b] : a < b; };

  std::vector<int32_t> starts(static_cast<size_t>(n));
  std::iota(starts.begin(), starts.end(), 0);
  std::sort(starts.begin(), starts.end(), fewer_edges);
  std::vector<uint8_t> queued(static_cast<size_t>(n), 0);
  std::vector<int32_t> order;  // the breadth-first sequence; reversed at the end
  order.reserve(static_cast<size_t>(n));
  for (const int32_t start : starts) {
    if (queued[start]) continue;
    queued[start] = 1;
    order.push_back(start);
    for (size_t head = order.size() - 1; head < order.size(); ++head) {
      const int32_t v = order[head];
      const size_t first_new = order.size();
      const auto queue = [&](int32_t u) {
        if (!queued[u]) queued[u] = 1, order.push_back(u);
      };
      for (int64_t e = in_ptr[v]; e < in_ptr[v + 1]; ++e) queue(in_src[e]);
      for (int64_t p = out_ptr[v]; p < out_ptr[v + 1]; ++p) queue(out_dst[p]);
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(first_new), order.end(), fewer_edges);
    }
  }
  std::reverse(order.begin(), order.end());
  return order;
}

}  // namespace gatgrad
