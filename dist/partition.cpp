// Partition folders: written by gat-partition (write_partitions), read by each rank
// (load_partition). Layout in partition.hpp.
#include "dist/partition.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"
#include "graph/edge_features.hpp"
#include "graph/graph.hpp"
#include "io/file.hpp"
#include "io/json.hpp"
#include "io/npy.hpp"
#include "nn/checkpoint.hpp"

namespace gatgrad::dist {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMeta = "meta.json";
constexpr const char* kFormat = "gatgrad-partitions-1";

std::string part_dir(const std::string& dir, int32_t k) { return dir + "/part-" + std::to_string(k); }

// Whole or not at all, as every file gatgrad writes (io/file.hpp).
void write_text(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

// The graph's incoming lists as training reads them: prepare_node_data's Graph::from_edges.
Graph incoming_graph(const Dataset& d) { return Graph::from_edges(d.src, d.dst, d.num_nodes); }

// A part's feature rows in the form the dataset has them: dense rows, or CSR rows whose
// stored values keep their order (sparse dropout numbers them: the same masks as one process).
struct PartFeatures {
  std::vector<float> dense;  // [n, F]
  CsrMatrix sparse;          // rows = n
};

void append_feature_row(const Dataset& d, int64_t r, PartFeatures& out) {
  const int64_t F = d.num_features;
  if (!d.x_is_sparse) {
    const std::span<const float> v = d.dense_values();
    out.dense.insert(out.dense.end(), v.begin() + r * F, v.begin() + (r + 1) * F);
    return;
  }
  const CsrMatrix& m = d.x_sparse;
  CsrMatrix& o = out.sparse;
  if (o.indptr.empty()) o.indptr.push_back(0);
  o.indices.insert(o.indices.end(), m.indices.begin() + m.indptr[r], m.indices.begin() + m.indptr[r + 1]);
  o.values.insert(o.values.end(), m.values.begin() + m.indptr[r], m.values.begin() + m.indptr[r + 1]);
  o.indptr.push_back(static_cast<int64_t>(o.values.size()));
  ++o.rows;
}

void save_part_features(const std::string& pd, const Dataset& d, PartFeatures& x, int64_t n) {
  const int64_t F = d.num_features;
  if (!d.x_is_sparse) {
    save_npy(pd + "/x.npy", x.dense.data(), {n, F});
    return;
  }
  if (x.sparse.indptr.empty()) x.sparse.indptr.push_back(0);
  save_npy(pd + "/x_indptr.npy", x.sparse.indptr.data(), {n + 1});
  save_npy(pd + "/x_indices.npy", x.sparse.indices.data(), {x.sparse.nnz()});
  save_npy(pd + "/x_data.npy", x.sparse.values.data(), {x.sparse.nnz()});
}

int64_t get_int(const Json& j, const char* field, const std::string& source) {
  if (!j.contains(field) || !j.at(field).is_number_integer())
    throw DataError(source + ": field '" + field + "' is missing or not an integer");
  return j.at(field).get<int64_t>();
}

std::vector<int64_t> get_ints(const Json& j, const char* field, size_t n, const std::string& source) {
  if (!j.contains(field) || !j.at(field).is_array() || j.at(field).size() != n)
    throw DataError(source + ": field '" + field + "' is missing or not a list of " + std::to_string(n) + " integers");
  std::vector<int64_t> v;
  for (const Json& e : j.at(field)) {
    if (!e.is_number_integer()) throw DataError(source + ": field '" + field + "' holds a non-integer");
    v.push_back(e.get<int64_t>());
  }
  return v;
}

// An array of `path` with `rows` rows (and `cols` columns when cols >= 0, else 1-D).
NpyArray load_shaped(const std::string& path, int64_t rows, int64_t cols) {
  NpyArray a = load_npy(path);
  const bool ok = cols < 0 ? (a.shape.size() == 1 && a.shape[0] == rows)
                           : (a.shape.size() == 2 && a.shape[0] == rows && a.shape[1] == cols);
  if (!ok)
    throw DataError(path + ": shape " + a.shape_str() + ", expected (" + std::to_string(rows) +
                    (cols < 0 ? ",)" : ", " + std::to_string(cols) + ")") + " from meta.json");
  return a;
}

// A part's CSR features (x_indptr, x_indices, x_data), checked as the single-process loader
// checks a CSR x.npz (io/npz.cpp, read_csr): rows from 0 to nnz without decreasing, columns in
// [0, F), finite values. Columns within a row in any order and repeated are the dataset's (a
// product sums the repeats): gat-partition writes the rows as stored, so they are read so.
void load_sparse_features(const std::string& pd, int64_t n, int64_t F, Dataset& d) {
  CsrMatrix& m = d.x_sparse;
  m.rows = n;
  m.cols = F;
  m.indptr = load_shaped(pd + "/x_indptr.npy", n + 1, -1).to_int64();
  const std::vector<int64_t> cols = load_npy(pd + "/x_indices.npy").to_int64();
  const NpyArray values = load_npy(pd + "/x_data.npy");
  if (values.dtype != "<f4") throw DataError(pd + "/x_data.npy: dtype " + values.dtype + ", expected float32 (<f4)");
  m.values = values.to_float();
  const int64_t nnz = static_cast<int64_t>(m.values.size());
  if (static_cast<int64_t>(cols.size()) != nnz)
    throw DataError(pd + "/x_indices.npy: " + std::to_string(cols.size()) + " entries, x_data.npy has " + std::to_string(nnz));
  if (m.indptr[0] != 0 || m.indptr[static_cast<size_t>(n)] != nnz)
    throw DataError(pd + "/x_indptr.npy: does not run from 0 to the " + std::to_string(nnz) + " stored values");
  m.indices.resize(static_cast<size_t>(nnz));
  for (int64_t r = 0; r < n; ++r) {
    if (m.indptr[r + 1] < m.indptr[r]) throw DataError(pd + "/x_indptr.npy: decreases at entry " + std::to_string(r + 1));
    for (int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k) {
      if (cols[k] < 0 || cols[k] >= F)
        throw DataError(pd + "/x_indices.npy: entry " + std::to_string(k) + " (" + std::to_string(cols[k]) +
                        ") of row " + std::to_string(r) + " is not a column in [0, " + std::to_string(F) + ")");
      if (!std::isfinite(m.values[k]))
        throw DataError(pd + "/x_data.npy: entry " + std::to_string(k) + " is NaN or infinite");
      m.indices[k] = static_cast<int32_t>(cols[k]);
    }
  }
  d.x_is_sparse = true;
}

// A part's edge_attr.npy, checked as the loader checks a dataset's (graph/load_dataset.cpp):
// float32 [E, D] as meta.json says, every value finite.
std::vector<float> load_edge_features(const std::string& path, int64_t E, int64_t D) {
  const NpyArray a = load_shaped(path, E, D);
  if (a.dtype != "<f4") throw DataError(path + ": dtype " + a.dtype + ", expected float32 (<f4)");
  std::vector<float> v = a.to_float();
  for (size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k]))
      throw DataError(path + ": a NaN or infinite value in the features of edge " + std::to_string(k / D) + ", column " +
                      std::to_string(k % D));
  return v;
}

// The integers of a 1-D .npy of `rows` entries (int16, int32 or int64) as T, each checked to
// lie in [lo, hi]: read from a mapping, so no array of another type is held beside the result.
template <class T>
std::vector<T> load_ints(const std::string& path, int64_t rows, int64_t lo, int64_t hi) {
  const MappedNpy a = map_npy(path);
  if (a.shape != std::vector<int64_t>{rows})
    throw DataError(path + ": shape " + shape_repr(a.shape) + ", expected (" + std::to_string(rows) + ",) from meta.json");
  std::vector<T> out(static_cast<size_t>(rows));
  auto convert = [&]<class S>() {
    for (int64_t i = 0; i < rows; ++i) {
      S v;
      std::memcpy(&v, a.data + i * static_cast<int64_t>(sizeof(S)), sizeof(S));  // any alignment
      if (v < lo || v > hi)
        throw DataError(path + ": entry " + std::to_string(i) + " is " + std::to_string(v) + ", not in [" +
                        std::to_string(lo) + ", " + std::to_string(hi) + "]");
      out[static_cast<size_t>(i)] = static_cast<T>(v);
    }
  };
  if (a.dtype == "<i2") convert.template operator()<int16_t>();
  else if (a.dtype == "<i4") convert.template operator()<int32_t>();
  else if (a.dtype == "<i8") convert.template operator()<int64_t>();
  else throw DataError(path + ": dtype " + a.dtype + ", expected int16, int32 or int64");
  return out;
}

}  // namespace

void check_partition_output(const std::string& out) {
  if (out.empty()) throw UsageError("--out: empty path");
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) throw UsageError("--out " + out + ": exists and is not a folder");
  if (fs::is_directory(out, ec) && !fs::exists(fs::path(out) / kMeta, ec) && !fs::is_empty(out, ec))
    throw UsageError("--out " + out + ": the folder exists and is not a partition folder (no meta.json); "
                     "refusing to replace it");
  const fs::path parent = fs::absolute(fs::path(out)).parent_path();
  if (!fs::is_directory(parent, ec)) throw UsageError("--out " + out + ": the folder " + parent.string() + " does not exist");
}

void write_partitions(const Dataset& d, const PartitionPlan& plan, const std::string& out,
                      const PartitionSource& source) {
  check_partition_output(out);
  const int64_t N = d.num_nodes, F = d.num_features, P = plan.parts;
  if (static_cast<int64_t>(plan.owner.size()) != N) throw Error("write_partitions: the plan has a different node count");
  const Graph g = incoming_graph(d);
  const std::span<const int64_t> ptr = g.dst_ptr();
  const std::span<const int32_t> src = g.src();
  // Edge features in g's edge order, as one process's NodeData::edge_attr holds them for sampling.
  const int64_t D = d.edge_dim;
  const Tensor attr = D > 0 ? edge_features_in_graph_order(g, false, d.src, d.dst, d.edge_attr, D, {}, DType::f32)
                            : Tensor();

  std::vector<std::vector<int64_t>> members(static_cast<size_t>(P));
  for (int64_t v = 0; v < N; ++v) members[static_cast<size_t>(plan.owner[v])].push_back(v);  // ascending

  const std::string tmp = out + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  Json meta;
  try {
    meta["format"] = kFormat;
    meta["parts"] = P;
    meta["num_nodes"] = N;
    meta["num_edges"] = d.num_edges();
    meta["num_features"] = F;
    meta["num_classes"] = d.num_classes;
    meta["multilabel"] = d.multilabel;
    meta["sparse_features"] = d.x_is_sparse;
    meta["edge_dim"] = D;
    meta["source"] = source.data;
    if (source.data.empty()) meta["synthetic"] = Json::parse(csbm_options_to_json(source.synthetic));
    meta["metis_seed"] = source.metis_seed;
    meta["edge_cut"] = plan.edge_cut;
    Json nodes = Json::array(), train = Json::array(), edges = Json::array(), halo = Json::array();

    if (P <= std::numeric_limits<int16_t>::max()) {
      std::vector<int16_t> small(plan.owner.begin(), plan.owner.end());
      save_npy(tmp + "/owner.npy", make_npy("<i2", small.data(), {N}));
    } else {
      save_npy(tmp + "/owner.npy", plan.owner.data(), {N});
    }
    const int64_t C = d.multilabel ? d.num_classes : 1;
    std::vector<uint8_t> seen(static_cast<size_t>(N), 0);
    for (int64_t k = 0; k < P; ++k) {
      const std::vector<int64_t>& m = members[static_cast<size_t>(k)];
      const int64_t n = static_cast<int64_t>(m.size());
      const std::string pd = part_dir(tmp, static_cast<int32_t>(k));
      fs::create_directories(pd);
      PartFeatures x;
      std::vector<int64_t> y(static_cast<size_t>(n * C));
      std::vector<uint8_t> tr(static_cast<size_t>(n)), va(static_cast<size_t>(n)), te(static_cast<size_t>(n));
      std::vector<int64_t> in_ptr(static_cast<size_t>(n + 1), 0);
      std::vector<int32_t> in_src;
      std::vector<float> edge_rows;  // [E_K, D]
      int64_t train_count = 0, halo_count = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = m[static_cast<size_t>(i)];
        append_feature_row(d, v, x);
        std::copy(d.y.begin() + v * C, d.y.begin() + (v + 1) * C, y.begin() + i * C);
        tr[i] = d.train_mask[v];
        va[i] = d.val_mask[v];
        te[i] = d.test_mask[v];
        train_count += tr[i];
        for (int64_t e = ptr[v]; e < ptr[v + 1]; ++e) {
          const int32_t j = src[e];
          in_src.push_back(j);
          if (plan.owner[j] != k && !seen[j]) {
            seen[j] = 1;
            ++halo_count;
          }
        }
        in_ptr[i + 1] = static_cast<int64_t>(in_src.size());
        if (D > 0) edge_rows.insert(edge_rows.end(), attr.data<float>() + ptr[v] * D, attr.data<float>() + ptr[v + 1] * D);
      }
      for (int64_t i = 0; i < n; ++i)  // clear the halo marks for the next part
        for (int64_t e = ptr[m[i]]; e < ptr[m[i] + 1]; ++e) seen[src[e]] = 0;
      save_npy(pd + "/nodes.npy", m.data(), {n});
      save_part_features(pd, d, x, n);
      if (d.multilabel) save_npy(pd + "/y.npy", y.data(), {n, C});
      else save_npy(pd + "/y.npy", y.data(), {n});
      save_npy(pd + "/train_mask.npy", reinterpret_cast<const bool*>(tr.data()), {n});
      save_npy(pd + "/val_mask.npy", reinterpret_cast<const bool*>(va.data()), {n});
      save_npy(pd + "/test_mask.npy", reinterpret_cast<const bool*>(te.data()), {n});
      save_npy(pd + "/in_ptr.npy", in_ptr.data(), {n + 1});
      save_npy(pd + "/in_src.npy", in_src.data(), {static_cast<int64_t>(in_src.size())});
      if (D > 0) save_npy(pd + "/edge_attr.npy", edge_rows.data(), {static_cast<int64_t>(in_src.size()), D});
      nodes.push_back(n);
      train.push_back(train_count);
      edges.push_back(static_cast<int64_t>(in_src.size()));
      halo.push_back(halo_count);
    }
    meta["part_nodes"] = nodes;
    meta["part_train_nodes"] = train;
    meta["part_edges"] = edges;
    meta["part_halo"] = halo;
    write_text(tmp + "/" + kMeta, meta.dump(2) + "\n");
    if (fs::is_directory(out, ec) && fs::exists(fs::path(out) / kMeta, ec)) {
      nn::detail::replace_directory(tmp, out);  // the earlier partitions, swapped out whole
    } else {
      if (fs::is_directory(out, ec)) fs::remove(out);  // empty (check_partition_output)
      fs::rename(tmp, out);
    }
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

PartitionMeta read_partition_meta(const std::string& dir) {
  const std::string source = dir + "/" + kMeta;
  std::error_code ec;
  if (!fs::exists(source, ec))
    throw DataError(dir + ": not a partition folder (no meta.json; make one with gat-partition)");
  const Json j = read_json_file(source);
  if (!j.is_object() || !j.contains("format") || j.at("format") != kFormat)
    throw DataError(source + ": field 'format' is not \"" + kFormat + "\"");
  PartitionMeta m;
  m.parts = static_cast<int32_t>(get_int(j, "parts", source));
  m.num_nodes = get_int(j, "num_nodes", source);
  m.num_edges = get_int(j, "num_edges", source);
  m.num_features = get_int(j, "num_features", source);
  m.num_classes = get_int(j, "num_classes", source);
  m.edge_cut = get_int(j, "edge_cut", source);
  if (m.parts < 1 || m.num_nodes < m.parts || m.num_edges < 0 || m.num_features < 1 || m.num_classes < 1 ||
      m.num_nodes > std::numeric_limits<int32_t>::max())
    throw DataError(source + ": parts, num_nodes, num_edges, num_features or num_classes out of range");
  if (!j.contains("multilabel") || !j.at("multilabel").is_boolean())
    throw DataError(source + ": field 'multilabel' is missing or not true/false");
  m.multilabel = j.at("multilabel").get<bool>();
  if (!j.contains("sparse_features") || !j.at("sparse_features").is_boolean())
    throw DataError(source + ": field 'sparse_features' is missing or not true/false");
  m.sparse_features = j.at("sparse_features").get<bool>();
  if (j.contains("edge_dim")) {  // absent in the folders of before edge features: none
    m.edge_dim = get_int(j, "edge_dim", source);
    if (m.edge_dim < 0 || m.edge_dim > (int64_t{1} << 20))
      throw DataError(source + ": field 'edge_dim' is " + std::to_string(m.edge_dim) + ", not in [0, 2^20]");
  }
  if (!j.contains("source") || !j.at("source").is_string())
    throw DataError(source + ": field 'source' is missing or not a string");
  m.source.data = j.at("source").get<std::string>();
  if (m.source.data.empty()) {
    if (!j.contains("synthetic") || !j.at("synthetic").is_object())
      throw DataError(source + ": field 'synthetic' is missing or not an object (the synthetic graph's options)");
    m.source.synthetic = csbm_options_from_json(j.at("synthetic").dump(), source);
  }
  m.source.metis_seed = static_cast<uint64_t>(get_int(j, "metis_seed", source));
  const size_t P = static_cast<size_t>(m.parts);
  m.part_nodes = get_ints(j, "part_nodes", P, source);
  m.part_train_nodes = get_ints(j, "part_train_nodes", P, source);
  m.part_edges = get_ints(j, "part_edges", P, source);
  m.part_halo = get_ints(j, "part_halo", P, source);
  int64_t nodes = 0, edges = 0;
  for (size_t k = 0; k < P; ++k) {
    if (m.part_nodes[k] < 0 || m.part_edges[k] < 0) throw DataError(source + ": a part has a negative size");
    nodes += m.part_nodes[k];
    edges += m.part_edges[k];
  }
  if (nodes != m.num_nodes || edges != m.num_edges)
    throw DataError(source + ": the parts' nodes (" + std::to_string(nodes) + ") and edges (" + std::to_string(edges) +
                    ") do not add up to num_nodes and num_edges");
  return m;
}

LocalPart load_partition(const std::string& dir, int32_t part) {
  LocalPart p;
  p.meta = read_partition_meta(dir);
  const PartitionMeta& m = p.meta;
  if (part < 0 || part >= m.parts)
    throw UsageError(dir + " has " + std::to_string(m.parts) + " parts; part " + std::to_string(part) +
                     " does not exist (run as many ranks as parts)");
  p.part = part;
  const int64_t N = m.num_nodes, F = m.num_features;
  {
    const std::string path = dir + "/owner.npy";
    p.owner = load_ints<int32_t>(path, N, 0, m.parts - 1);  // node v's part
    std::vector<int64_t> count(static_cast<size_t>(m.parts), 0);
    for (const int32_t k : p.owner) ++count[static_cast<size_t>(k)];
    for (int32_t k = 0; k < m.parts; ++k)
      if (count[k] != m.part_nodes[k])
        throw DataError(path + ": part " + std::to_string(k) + " has " + std::to_string(count[k]) +
                        " nodes, meta.json says " + std::to_string(m.part_nodes[k]));
  }
  const std::string pd = part_dir(dir, part);
  const int64_t n = m.part_nodes[part], E = m.part_edges[part];
  p.nodes = load_ints<int64_t>(pd + "/nodes.npy", n, 0, N - 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = p.nodes[i];
    if ((i > 0 && v <= p.nodes[i - 1]) || p.owner[v] != part)
      throw DataError(pd + "/nodes.npy: entry " + std::to_string(i) + " (" + std::to_string(v) +
                      ") is not ascending, or not of this part in owner.npy");
  }
  Dataset& d = p.data;
  d.name = pd;
  d.num_nodes = n;
  d.num_features = F;
  d.num_classes = m.num_classes;
  d.multilabel = m.multilabel;
  if (m.sparse_features) {
    load_sparse_features(pd, n, F, d);
  } else {
    // Mapped, not read: the rows stay in the page cache, one copy at most (normalising).
    const std::string path = pd + "/x.npy";
    MappedNpy x = map_npy(path);
    if (x.dtype != "<f4") throw DataError(path + ": dtype " + x.dtype + ", expected float32 (<f4)");
    if (x.shape != std::vector<int64_t>{n, F})
      throw DataError(path + ": shape " + shape_repr(x.shape) + ", expected (" + std::to_string(n) + ", " +
                      std::to_string(F) + ") from meta.json");
    const std::span<const float> v(reinterpret_cast<const float*>(x.data), static_cast<size_t>(n * F));
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) throw DataError(path + ": row " + std::to_string(i / F) + " holds a NaN or infinite value");
    if (Tensor::can_borrow(x.data, DType::f32)) d.x_mapped = std::move(x);
    else d.x_dense.assign(v.begin(), v.end());
  }
  {
    const std::string path = pd + "/y.npy";
    d.y = load_shaped(path, n, m.multilabel ? m.num_classes : -1).to_int64();
    for (size_t i = 0; i < d.y.size(); ++i) {
      const int64_t hi = m.multilabel ? 1 : m.num_classes - 1;
      if (d.y[i] < 0 || d.y[i] > hi)
        throw DataError(path + ": entry " + std::to_string(i) + " is " + std::to_string(d.y[i]) + ", not in [0, " +
                        std::to_string(hi) + "]");
    }
  }
  d.train_mask = load_shaped(pd + "/train_mask.npy", n, -1).to_bool();
  d.val_mask = load_shaped(pd + "/val_mask.npy", n, -1).to_bool();
  d.test_mask = load_shaped(pd + "/test_mask.npy", n, -1).to_bool();
  p.in_ptr = load_ints<int64_t>(pd + "/in_ptr.npy", n + 1, 0, E);
  if (p.in_ptr[0] != 0 || p.in_ptr[static_cast<size_t>(n)] != E)
    throw DataError(pd + "/in_ptr.npy: does not run from 0 to the part's " + std::to_string(E) + " edges");
  for (int64_t i = 0; i < n; ++i)
    if (p.in_ptr[i + 1] < p.in_ptr[i]) throw DataError(pd + "/in_ptr.npy: decreases at entry " + std::to_string(i + 1));
  {
    const std::string path = pd + "/in_src.npy";
    p.in_src = load_ints<int32_t>(path, E, 0, N - 1);  // global ids of the N-node graph
  }
  if (m.edge_dim > 0) p.edge_attr = load_edge_features(pd + "/edge_attr.npy", E, m.edge_dim);
  return p;
}

}  // namespace gatgrad::dist
