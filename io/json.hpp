/// @file
/// JSON helpers on nlohmann/json for the files gatgrad reads and writes (checkpoints' config.json,
/// counters.json and optimizer/state.json; gat-train's resume state). Parse errors are DataErrors
/// naming the source: "ckpt/config.json: invalid JSON: [json.exception.parse_error.101] ...".
/// For gatgrad's own .cpp files: the header is not installed, so the installed headers need no
/// nlohmann/json.
#pragma once
#include <string>

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

}  // namespace gatgrad
