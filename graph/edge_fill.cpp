// Parsing the self-loops' edge fill. See edge_fill.hpp.
#include "graph/edge_fill.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "autograd/error.hpp"

namespace gatgrad {

EdgeFill parse_edge_fill(const std::string& text) {
  if (text == "mean") return EdgeFill{};
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw UsageError("edge fill '" + text + "' is neither 'mean' nor a finite number");
  // The loops' features sit beside the dataset's, which are float32 (Dataset::edge_attr): a value
  // beyond float32 would become an infinity there, and every logit NaN.
  if (std::fabs(v) > std::numeric_limits<float>::max())
    throw UsageError("edge fill '" + text + "' is beyond float32's range (largest magnitude 3.4028235e38), the type of "
                     "edge features");
  return EdgeFill{false, v};
}

}  // namespace gatgrad
