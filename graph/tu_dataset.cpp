// load_tu_dataset: the TU Dortmund text files into a Dataset as PyG's read_tu_data builds it
// (tu_dataset.hpp). Parsing is one table reader (rows of comma-separated numbers); the rest is
// the rules between the files.
#include "graph/tu_dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <string_view>

#include "autograd/error.hpp"
#include "graph/graph_index.hpp"
#include "io/file.hpp"

namespace gatgrad {

namespace {

namespace fs = std::filesystem;

std::string str(int64_t v) { return std::to_string(v); }

// A file of rows of `cols` numbers: values row-major, `rows` lines (a last empty line ignored).
template <class T>
struct Table {
  std::string path;
  int64_t rows = 0, cols = 0;
  std::vector<T> values;
  T at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
};

[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what) {
  throw DataError(path + ":" + str(line) + ": " + what);
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// (appended, not "'" + ...: GCC 12 warns falsely about a literal before a temporary string, PR 105329)
std::string shown(std::string_view s) {
  return std::string("'").append(s.substr(0, 40)).append(s.size() > 40 ? "...'" : "'");
}

template <class T>
T parse_number(std::string_view field, const std::string& path, int64_t line) {
  T v{};
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || ec != std::errc() || end != field.data() + field.size()) {
    if (ec == std::errc::result_out_of_range) fail_at(path, line, shown(field) + " is out of range");
    fail_at(path, line, shown(field) + (std::is_integral_v<T> ? " is not an integer" : " is not a number"));
  }
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(v)) fail_at(path, line, shown(field) + " is not finite");
  return v;
}

// The rows of `path`: every line `cols` comma-separated numbers, cols fixed by the first line.
template <class T>
Table<T> read_table(const std::string& path) {
  const std::vector<char> bytes = read_whole_file(path);
  Table<T> t;
  t.path = path;
  std::string_view rest(bytes.data(), bytes.size());
  int64_t line = 0;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view text = trim(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ++line;
    if (text.empty()) {
      if (trim(rest).empty()) break;  // trailing blank lines end the file
      fail_at(path, line, "empty line (one row per line)");
    }
    int64_t fields = 0;
    std::string_view row = text;
    while (true) {
      const size_t comma = row.find(',');
      t.values.push_back(parse_number<T>(trim(row.substr(0, comma)), path, line));
      ++fields;
      if (comma == std::string_view::npos) break;
      row = row.substr(comma + 1);
    }
    if (t.rows == 0) t.cols = fields;
    if (fields != t.cols)
      fail_at(path, line, str(fields) + " values, but line 1 has " + str(t.cols) + " (every line the same count)");
    ++t.rows;
  }
  if (t.rows == 0) throw DataError(path + ": no rows (the file holds only blank lines)");
  return t;
}

// The one-hot columns of integer labels, per column c: one_hot(label - min_c), width max_c - min_c + 1
// (PyG: label - label.min(0), then one_hot of each column). Appended to out's rows of width out_cols.
void append_one_hot(const Table<int64_t>& labels, std::vector<float>& out, int64_t& out_cols) {
  const int64_t n = labels.rows;
  std::vector<int64_t> lo(static_cast<size_t>(labels.cols)), width(static_cast<size_t>(labels.cols));
  int64_t total = 0;
  for (int64_t c = 0; c < labels.cols; ++c) {
    int64_t mn = labels.at(0, c), mx = mn;
    for (int64_t r = 1; r < n; ++r) {
      mn = std::min(mn, labels.at(r, c));
      mx = std::max(mx, labels.at(r, c));
    }
    // mx - mn may overflow for labels near the int64 limits: compare in two steps.
    const int64_t limit = std::max<int64_t>(n, 256);
    if (mn < 0 && mx > std::numeric_limits<int64_t>::max() + mn)
      throw DataError(labels.path + ": labels span [" + str(mn) + ", " + str(mx) + "], too wide for a one-hot");
    if (mx - mn + 1 > limit)
      throw DataError(labels.path + ": the labels of column " + str(c + 1) + " span [" + str(mn) + ", " + str(mx) +
                      "]: a one-hot of " + str(mx - mn + 1) + " columns for " + str(n) + " rows (at most " +
                      str(limit) + ")");
    lo[static_cast<size_t>(c)] = mn;
    width[static_cast<size_t>(c)] = mx - mn + 1;
    total += mx - mn + 1;
  }
  const int64_t new_cols = out_cols + total;
  std::vector<float> merged(static_cast<size_t>(n * new_cols), 0.0f);
  for (int64_t r = 0; r < n; ++r) {
    std::copy_n(out.begin() + r * out_cols, out_cols, merged.begin() + r * new_cols);
    int64_t base = out_cols;
    for (int64_t c = 0; c < labels.cols; ++c) {
      merged[static_cast<size_t>(r * new_cols + base + (labels.at(r, c) - lo[static_cast<size_t>(c)]))] = 1.0f;
      base += width[static_cast<size_t>(c)];
    }
  }
  out = std::move(merged);
  out_cols = new_cols;
}

// Attributes (reals) as float rows of out (empty before this call).
void take_attributes(const Table<double>& a, std::vector<float>& out, int64_t& out_cols) {
  out.assign(a.values.begin(), a.values.end());
  out_cols = a.cols;
}

void require_rows(const Table<int64_t>* i, const Table<double>* d, int64_t rows, const std::string& what) {
  const std::string& path = i ? i->path : d->path;
  const int64_t have = i ? i->rows : d->rows;
  if (have != rows) throw DataError(path + ": " + str(have) + " lines, expected " + str(rows) + " (" + what + ")");
}

// The dataset prefix DS of dir/DS_graph_indicator.txt (exactly one such file).
std::string find_prefix(const std::string& dir) {
  const std::string suffix = "_graph_indicator.txt";
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      found.push_back(name.substr(0, name.size() - suffix.size()));
  }
  if (ec) throw DataError(dir + ": cannot list the directory: " + ec.message());
  std::sort(found.begin(), found.end());
  if (found.empty()) throw DataError(dir + ": no *_graph_indicator.txt (not a TU dataset folder)");
  if (found.size() > 1)
    throw DataError(dir + ": two TU datasets in one folder (" + found[0] + ", " + found[1] + "): give one folder per dataset");
  return found[0];
}

struct Edge {
  int32_t src, dst;
  int64_t line;  // 0-based row of DS_A.txt
};

}  // namespace

bool is_tu_directory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  const std::string suffix = "_graph_indicator.txt";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
  }
  return false;
}

Dataset load_tu_dataset(const std::string& dir) {
  const std::string ds = find_prefix(dir);
  auto file = [&](const char* part) { return (fs::path(dir) / (ds + "_" + part + ".txt")).string(); };
  // An optional part present in name only (a dangling link) is an error, never absent (io/file.hpp).
  auto exists = [&](const char* part) { return optional_file_present(file(part)); };
  Dataset d;
  d.name = ds;

  // Nodes and their graphs: N lines, ids 1 .. G ascending, every graph holding a node.
  const Table<int64_t> indicator = read_table<int64_t>(file("graph_indicator"));
  if (indicator.cols != 1) throw DataError(indicator.path + ": " + str(indicator.cols) + " values per line, expected 1 (a graph id)");
  const Table<int64_t> graph_labels = read_table<int64_t>(file("graph_labels"));
  if (graph_labels.cols != 1)
    throw DataError(graph_labels.path + ": " + str(graph_labels.cols) + " values per line, expected 1 (a class)");
  const int64_t n = indicator.rows, num_graphs = graph_labels.rows;
  if (n > std::numeric_limits<int32_t>::max())
    throw DataError(indicator.path + ": " + str(n) + " nodes do not fit in int32 node ids");
  d.num_nodes = n;
  d.graph_index.resize(static_cast<size_t>(n));
  int64_t previous = 1;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t g = indicator.values[static_cast<size_t>(i)];
    if (g < 1 || g > num_graphs)
      fail_at(indicator.path, i + 1, "graph " + str(g) + " is out of range [1, " + str(num_graphs) + "] (" +
                                         graph_labels.path + " has " + str(num_graphs) + " lines)");
    if (g < previous) fail_at(indicator.path, i + 1, "graph " + str(g) + " after graph " + str(previous) + ": ids must not decrease");
    if (g > previous + 1 || (i == 0 && g != 1))
      fail_at(indicator.path, i + 1, "graph " + str(g) + (i == 0 ? " first" : " after graph " + str(previous)) +
                                         ": graph " + str(i == 0 ? 1 : previous + 1) + " has no node");
    previous = g;
    d.graph_index[static_cast<size_t>(i)] = static_cast<int32_t>(g - 1);
  }
  if (previous != num_graphs)
    throw DataError(indicator.path + ": the last node is in graph " + str(previous) + ", but " + graph_labels.path +
                    " has " + str(num_graphs) + " graphs (graph " + str(previous + 1) + " has no node)");

  // Graph classes: their ranks among the distinct values (PyG's y.unique(return_inverse=True)).
  std::map<int64_t, int64_t> rank;
  for (int64_t v : graph_labels.values) rank[v] = 0;
  for (int64_t r = 0; auto& [value, k] : rank) k = r++;
  d.num_classes = static_cast<int64_t>(rank.size());
  for (int64_t v : graph_labels.values) d.graph_labels.push_back(rank[v]);

  // Node features: attributes, then the one-hot labels.
  if (exists("node_attributes")) {
    const Table<double> a = read_table<double>(file("node_attributes"));
    require_rows(nullptr, &a, n, "one per node of " + indicator.path);
    take_attributes(a, d.x_dense, d.num_features);
  }
  if (exists("node_labels")) {
    const Table<int64_t> l = read_table<int64_t>(file("node_labels"));
    require_rows(&l, nullptr, n, "one per node of " + indicator.path);
    append_one_hot(l, d.x_dense, d.num_features);
  }
  if (d.num_features == 0)
    throw DataError(dir + ": " + ds + " has neither " + ds + "_node_labels.txt nor " + ds +
                    "_node_attributes.txt (no node features)");

  // Edges, each line r, c with 1 <= r, c <= N, never across graphs.
  const Table<int64_t> a = read_table<int64_t>(file("A"));
  if (a.cols != 2) throw DataError(a.path + ": " + str(a.cols) + " values per line, expected 2 (source, target)");
  std::vector<Edge> edges;
  edges.reserve(static_cast<size_t>(a.rows));
  for (int64_t e = 0; e < a.rows; ++e) {
    const int64_t r = a.at(e, 0), c = a.at(e, 1);
    for (int64_t v : {r, c})
      if (v < 1 || v > n)
        fail_at(a.path, e + 1, "node " + str(v) + " is out of range [1, " + str(n) + "] (" + indicator.path + " has " +
                                   str(n) + " lines)");
    const int32_t g_r = d.graph_index[static_cast<size_t>(r - 1)], g_c = d.graph_index[static_cast<size_t>(c - 1)];
    if (g_r != g_c)
      fail_at(a.path, e + 1, "the edge " + str(r) + " -> " + str(c) + " joins graph " + str(g_r + 1) + " to graph " +
                                 str(g_c + 1) + " (" + indicator.path + ")");
    if (r != c) edges.push_back(Edge{static_cast<int32_t>(r - 1), static_cast<int32_t>(c - 1), e});
  }
  // Edge features of A's lines: attributes, then the one-hot labels.
  std::vector<float> edge_values;
  int64_t edge_cols = 0;
  if (exists("edge_attributes")) {
    const Table<double> ea = read_table<double>(file("edge_attributes"));
    require_rows(nullptr, &ea, a.rows, "one per line of " + a.path);
    take_attributes(ea, edge_values, edge_cols);
  }
  if (exists("edge_labels")) {
    const Table<int64_t> el = read_table<int64_t>(file("edge_labels"));
    require_rows(&el, nullptr, a.rows, "one per line of " + a.path);
    append_one_hot(el, edge_values, edge_cols);
  }
  // PyG's coalesce: sorted by (source, target), duplicates merged with their features added.
  std::stable_sort(edges.begin(), edges.end(),
                   [](const Edge& x, const Edge& y) { return x.src != y.src ? x.src < y.src : x.dst < y.dst; });
  d.edge_dim = edge_cols;
  for (size_t k = 0; k < edges.size(); ++k) {
    const Edge& e = edges[k];
    const bool duplicate = k > 0 && edges[k - 1].src == e.src && edges[k - 1].dst == e.dst;
    if (!duplicate) {
      d.src.push_back(e.src);
      d.dst.push_back(e.dst);
      d.edge_attr.insert(d.edge_attr.end(), static_cast<size_t>(edge_cols), 0.0f);
    }
    float* row = d.edge_attr.data() + (d.src.size() - 1) * static_cast<size_t>(edge_cols);
    for (int64_t c = 0; c < edge_cols; ++c) row[c] += edge_values[static_cast<size_t>(e.line * edge_cols + c)];
  }
  // The rules of a dataset of many graphs (ids, no edge across graphs), checked once more in
  // their common place; the node masks are empty: the splits are folds of graphs.
  check_graph_index(d, GraphIndexSources{indicator.path, a.path, "", "", ""});
  return d;
}

}  // namespace gatgrad
