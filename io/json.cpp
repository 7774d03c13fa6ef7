// Parsing JSON text and files with the source named in every error. See json.hpp.
#include "io/json.hpp"

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "autograd/error.hpp"
#include "io/file.hpp"

namespace gatgrad {

Json parse_json(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw DataError(source + ": invalid JSON: " + e.what());
  }
}

Json read_json_file(const std::string& path) {
  const std::vector<char> bytes = read_whole_file(path);
  return parse_json(std::string(bytes.begin(), bytes.end()), path);
}

std::string json_error(const std::string& text) {
  try {
    const Json parsed = Json::parse(text);
    return parsed.is_discarded() ? "discarded" : "";
  } catch (const Json::exception& e) {
    return e.what();
  }
}

void throw_json_error(const std::string& message) { throw DataError(message); }

namespace {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// The value as the message shows it (short).
std::string shown(const Json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 40) + "..." : s;
}

}  // namespace

template <class T>
T json_get(const Json& v, const std::string& where) {
  auto bad = [&](const std::string& problem) -> T { throw DataError(where + " = " + shown(v) + " " + problem); };
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return bad("is not true or false");
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) return bad("is not an integer");
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        return bad("does not fit in " + std::string(std::is_signed_v<T> ? "a signed " : "an unsigned ") +
                   std::to_string(8 * sizeof(T)) + "-bit integer");
      return static_cast<T>(u);
    }
    const int64_t i = v.get<int64_t>();
    if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (std::is_signed_v<T> && i > static_cast<int64_t>(std::numeric_limits<T>::max())))
      return bad(std::is_signed_v<T> ? "does not fit in a " + std::to_string(8 * sizeof(T)) + "-bit integer"
                                     : std::string("is negative"));
    return static_cast<T>(i);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) return bad("is not a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max()))
      return bad(std::string("is beyond the range of ") + (sizeof(T) == 4 ? "float32" : "float64"));
    return static_cast<T>(d);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return bad("is not a string");
    return v.get<std::string>();
  } else {
    static_assert(is_vector<T>::value, "json_get: unsupported type");
    if (!v.is_array()) return bad("is not an array");
    T out;
    for (size_t i = 0; i < v.size(); ++i)
      out.push_back(json_get<typename T::value_type>(v[i], where + "[" + std::to_string(i) + "]"));
    return out;
  }
}

template int json_get<int>(const Json&, const std::string&);
template int64_t json_get<int64_t>(const Json&, const std::string&);
template uint64_t json_get<uint64_t>(const Json&, const std::string&);
template double json_get<double>(const Json&, const std::string&);
template float json_get<float>(const Json&, const std::string&);
template bool json_get<bool>(const Json&, const std::string&);
template std::string json_get<std::string>(const Json&, const std::string&);
template std::vector<int64_t> json_get<std::vector<int64_t>>(const Json&, const std::string&);
template std::vector<std::string> json_get<std::vector<std::string>>(const Json&, const std::string&);

}  // namespace gatgrad
