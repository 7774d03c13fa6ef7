/// @file
/// JSON helpers on nlohmann/json for the files gatgrad reads and writes (checkpoints' config.json,
/// counters.json and optimizer/state.json; gat-train's resume state). Parse errors are DataErrors
/// naming the source: "ckpt/config.json: invalid JSON: [json.exception.parse_error.101] ...".
/// For gatgrad's own .cpp files: the header is not installed, so the installed headers need no
/// nlohmann/json.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gatgrad {

/// Objects keep their keys in the order written (readable files; a state's fields in order).
using Json = nlohmann::ordered_json;

/// `text` parsed; DataError "<source>: invalid JSON: <the parser's message>" when it is not JSON.
Json parse_json(const std::string& text, const std::string& source);

/// The JSON file at `path`, parsed. DataError naming the path: missing, not a regular file,
/// empty (io/file.hpp), invalid JSON.
Json read_json_file(const std::string& path);

/// "" when `text` is valid JSON, else the parser's message (for checks that are not DataErrors).
std::string json_error(const std::string& text);

/// Throws DataError(message): json_field's way of failing, without autograd/error.hpp here.
[[noreturn]] void throw_json_error(const std::string& message);

/// `v` as a T, checked against what a T can hold (nlohmann's own get<T>() casts a 1e300 into an
/// int64 -- undefined behaviour -- and 1.5 into 1): an integer type takes only a JSON integer
/// within its range, a floating type any JSON number within its finite range (1e39 is no
/// float), bool a boolean, std::string a string, std::vector<T> an array of such values. T is
/// one of int, int64_t, uint64_t, double, float, bool, std::string, std::vector<int64_t>,
/// std::vector<std::string>.
/// DataError "<where>: <the problem>" otherwise, `where` naming the file and the field:
///   "ckpt/config.json: field 'hidden' = 1e+300 is not an integer".
template <class T>
T json_get(const Json& v, const std::string& where);

/// The field `key` of the object `j`, read by json_get; DataError "<source>: missing field 'key'"
/// when it is absent, "<source>: field 'key' ..." when it does not fit.
template <class T>
T json_field(const Json& j, const std::string& key, const std::string& source) {
  if (!j.is_object() || !j.contains(key)) throw_json_error(source + ": missing field '" + key + "'");
  return json_get<T>(j.at(key), source + ": field '" + key + "'");
}

}  // namespace gatgrad
