// Parsing JSON text and files with the source named in every error. See json.hpp.
#include "io/json.hpp"

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

}  // namespace gatgrad
