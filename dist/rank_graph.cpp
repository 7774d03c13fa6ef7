// RankGraph's exchanges (see rank_graph.hpp). Both follow one pattern:
//   1. group the ids this rank lacks by owner, in the order asked (own ones are local)
//   2. all-to-all of the ids; each rank answers every id it was asked, in order
//   3. all-to-all of the answers; place each where its id was asked
#include "dist/rank_graph.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "autograd/error.hpp"
#include "models/input_features.hpp"

namespace gatgrad::dist {

namespace {

// Step 1: ids[i] not owned here go to ask[owner], their positions to where[owner].
template <class OwnerOf>
void group_by_owner(std::span<const int32_t> ids, int P, int me, OwnerOf owner_of, std::vector<std::vector<int32_t>>& ask,
                    std::vector<std::vector<int64_t>>& where) {
  ask.assign(static_cast<size_t>(P), {});
  where.assign(static_cast<size_t>(P), {});
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t o = owner_of(ids[i]);
    if (o == me) continue;
    ask[static_cast<size_t>(o)].push_back(ids[i]);
    where[static_cast<size_t>(o)].push_back(static_cast<int64_t>(i));
  }
}

void as_streams(const std::vector<std::vector<int32_t>>& ask, Streams& out) {
  out.clear();
  Writer w(out.bytes);
  for (const std::vector<int32_t>& ids : ask) {
    w.put_span<int32_t>(ids);
    out.end();
  }
}

std::vector<int32_t> ids_of(std::span<const char> bytes) {
  if (bytes.size() % sizeof(int32_t)) throw Error("dist: a request from another rank is not a list of node ids");
  std::vector<int32_t> ids(bytes.size() / sizeof(int32_t));
  if (!ids.empty()) std::memcpy(ids.data(), bytes.data(), bytes.size());
  return ids;
}

}  // namespace

RankGraph::RankGraph(const Comm& comm, LocalPart& part, TrafficCounter& traffic)
    : comm_(comm), traffic_(traffic), owner_(std::move(part.owner)), nodes_(std::move(part.nodes)),
      ptr_(std::move(part.in_ptr)), neighbors_(std::move(part.in_src)), edge_dim_(part.meta.edge_dim),
      edge_attr_(std::move(part.edge_attr)) {
  own_edges_ = static_cast<int64_t>(neighbors_.size());
  if (static_cast<int64_t>(edge_attr_.size()) != own_edges_ * edge_dim_)
    throw Error("RankGraph: " + std::to_string(edge_attr_.size()) + " edge feature values for " +
                std::to_string(own_edges_) + " edges of " + std::to_string(edge_dim_));
  if (edge_dim_ > 0) first_.assign(ptr_.begin(), ptr_.end() - 1);  // an own list starts at its row
  if (part.meta.parts != comm.size())
    throw UsageError("the partition folder has " + std::to_string(part.meta.parts) + " parts but the job has " +
                     std::to_string(comm.size()) + " ranks (mpirun -np " + std::to_string(part.meta.parts) + ")");
  // A node's row in its part: how many nodes before it its part holds (the parts list their
  // nodes ascending). load_partition checked owner_ against the part's nodes.
  std::vector<int32_t> count(static_cast<size_t>(comm.size()), 0);
  row_.resize(owner_.size());
  for (size_t v = 0; v < owner_.size(); ++v) row_[v] = count[static_cast<size_t>(owner_[v])]++;
}

// Steps 1-3 for `ids`: answer(w, asked) writes the replies for `asked`, nodes of this rank
// another rank asked for, in their order; receive(r, i) reads the reply for ids[i] from its
// owner's stream.
// answer_bytes: each reply's size when they all have one (room made for them at once), else 0.
template <class Answer, class Receive>
void RankGraph::exchange(std::span<const int32_t> ids, int64_t& counted, Answer answer, Receive receive,
                         size_t answer_bytes) {
  const int P = comm_.size(), me = comm_.rank();
  std::vector<std::vector<int32_t>> ask;
  std::vector<std::vector<int64_t>> where;
  group_by_owner(ids, P, me, [&](int32_t v) { return owner(v); }, ask, where);
  as_streams(ask, send_);
  comm_.all_to_all(send_, counted, asked_);
  Streams& answers = send_;
  answers.clear();
  Writer w(answers.bytes);
  if (answer_bytes > 0) w.reserve((asked_.bytes.size() / sizeof(int32_t)) * answer_bytes);
  for (int k = 0; k < P; ++k) {
    const std::vector<int32_t> asked = ids_of(asked_[static_cast<size_t>(k)]);
    for (const int32_t v : asked)
      if (v < 0 || v >= num_nodes() || owner(v) != me)
        throw Error("dist: rank " + std::to_string(k) + " asked this rank for node " + std::to_string(v) + ", not one of its own");
    answer(w, std::span<const int32_t>(asked));
    answers.end();
  }
  comm_.all_to_all(answers, counted, got_);
  for (int k = 0; k < P; ++k) {
    Reader r(got_[static_cast<size_t>(k)]);
    for (const int64_t i : where[static_cast<size_t>(k)]) receive(r, static_cast<size_t>(i));
    if (!r.done()) throw Error("dist: rank " + std::to_string(k) + " sent more than was asked for");
  }
}

void RankGraph::check_ids(std::span<const int32_t> ids, const char* what) const {
  for (const int32_t v : ids)
    if (v < 0 || v >= num_nodes()) throw Error(std::string("RankGraph::") + what + ": node " + std::to_string(v) + " is out of range");
}

IncomingLists RankGraph::incoming(std::span<const int32_t> targets) {
  check_ids(targets, "incoming");
  const int64_t n = num_local();
  ptr_.resize(static_cast<size_t>(n + 1));
  neighbors_.resize(static_cast<size_t>(own_edges_));
  rows_.resize(targets.size());
  if (edge_dim_ > 0) first_.resize(static_cast<size_t>(n));
  for (size_t t = 0; t < targets.size(); ++t) rows_[t] = static_cast<int32_t>(local_id(targets[t]));
  // A list: its degree, (with edge features its first edge's row in the owner's part,) then its sources.
  exchange(
      targets, traffic_.adjacency,
      [&](Writer& w, std::span<const int32_t> asked) {
        for (const int32_t v : asked) {
          const int64_t l = local_id(v);
          const int32_t deg = static_cast<int32_t>(ptr_[l + 1] - ptr_[l]);
          w.put(deg);
          if (edge_dim_ > 0) w.put(ptr_[l]);
          w.put_span<int32_t>(std::span<const int32_t>(neighbors_.data() + ptr_[l], static_cast<size_t>(deg)));
        }
      },
      [&](Reader& r, size_t t) {
        const int32_t deg = r.get<int32_t>();
        if (deg < 0 || static_cast<size_t>(deg) * sizeof(int32_t) > r.remaining())
          throw Error("dist: another rank sent a degree of " + std::to_string(deg) + " for a shorter list");
        if (edge_dim_ > 0) first_.push_back(r.get<int64_t>());
        const size_t at = neighbors_.size();
        neighbors_.resize(at + static_cast<size_t>(deg));
        r.get_into(neighbors_.data() + at, static_cast<size_t>(deg));
        rows_[t] = static_cast<int32_t>(ptr_.size() - 1);
        ptr_.push_back(static_cast<int64_t>(neighbors_.size()));
        missing_bytes_ += static_cast<int64_t>(deg) * static_cast<int64_t>(sizeof(int32_t));
      });
  return {ptr_, neighbors_, rows_, first_};
}

Tensor RankGraph::edge_rows(const Block& block) {
  const int64_t E = block.num_edges(), D = edge_dim_;
  if (D == 0) throw Error("RankGraph::edge_rows: the partitions hold no edge features");
  if (static_cast<int64_t>(block.edge_global.size()) != E)
    throw Error("RankGraph::edge_rows: the block's " + std::to_string(E) + " edges have " +
                std::to_string(block.edge_global.size()) + " edge ids (sample with NeighborSampler::record_edge_ids)");
  const int P = comm_.size(), me = comm_.rank();
  Tensor out = Tensor::empty({E, D}, DType::f32);
  float* o = out.data<float>();
  const size_t row_bytes = static_cast<size_t>(D) * sizeof(float);
  // Edge e's destination's owner holds its row edge_global[e]: own rows copied, the others asked.
  const std::span<const int64_t> ptr = block.graph.dst_ptr();
  std::vector<std::vector<int64_t>> ask(static_cast<size_t>(P)), where(static_cast<size_t>(P));
  for (int64_t i = 0; i < block.num_dst_nodes(); ++i) {
    const int32_t k = owner(block.src_global[static_cast<size_t>(i)]);
    for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e) {
      const int64_t row = block.edge_global[static_cast<size_t>(e)];
      if (k == me) {
        if (row < 0 || row >= own_edges_) throw Error("RankGraph::edge_rows: edge " + std::to_string(row) + " is not of this part");
        std::memcpy(o + e * D, edge_attr_.data() + row * D, row_bytes);
        continue;
      }
      ask[static_cast<size_t>(k)].push_back(row);
      where[static_cast<size_t>(k)].push_back(e);
    }
  }
  send_.clear();
  Writer w(send_.bytes);
  for (const std::vector<int64_t>& rows : ask) {
    w.put_span<int64_t>(rows);
    send_.end();
  }
  comm_.all_to_all(send_, traffic_.features, asked_);
  Streams& answers = send_;
  answers.clear();
  Writer a(answers.bytes);
  a.reserve(asked_.bytes.size() / sizeof(int64_t) * row_bytes);
  for (int k = 0; k < P; ++k) {
    Reader r(asked_[static_cast<size_t>(k)]);
    while (!r.done()) {
      const int64_t row = r.get<int64_t>();
      if (row < 0 || row >= own_edges_)
        throw Error("dist: rank " + std::to_string(k) + " asked this rank for edge " + std::to_string(row) + ", not one of its own");
      a.append(edge_attr_.data() + row * D, row_bytes);
    }
    answers.end();
  }
  comm_.all_to_all(answers, traffic_.features, got_);
  for (int k = 0; k < P; ++k) {
    Reader r(got_[static_cast<size_t>(k)]);
    for (const int64_t e : where[static_cast<size_t>(k)]) r.get_into(o + e * D, static_cast<size_t>(D));
    if (!r.done()) throw Error("dist: rank " + std::to_string(k) + " sent more edge features than were asked for");
    missing_bytes_ += static_cast<int64_t>(where[static_cast<size_t>(k)].size() * row_bytes);
  }
  return out;
}

// The rows of `ids` from a dense table whose row of own node v is row_of(v) (-1: not there).
template <class RowOf>
Tensor RankGraph::fetch_dense(const float* table, int64_t width, std::span<const int32_t> ids, RowOf row_of) {
  check_ids(ids, "fetch_rows");
  Tensor out = Tensor::empty({static_cast<int64_t>(ids.size()), width}, DType::f32);
  float* o = out.data<float>();
  const size_t row_floats = static_cast<size_t>(width);
  auto row_index = [&](int32_t v) {
    const int64_t r = row_of(v);
    if (r < 0) throw Error("dist: the row of node " + std::to_string(v) + " was asked of this rank, which did not compute it");
    return r;
  };
  std::vector<int64_t> own(ids.size(), -1);  // the table's row of each own id; -1: fetched
  for (size_t i = 0; i < ids.size(); ++i)
    if (owner(ids[i]) == comm_.rank()) own[i] = row_index(ids[i]);
  copy_rows(reinterpret_cast<char*>(o), reinterpret_cast<const char*>(table), row_floats * sizeof(float),
            std::span<const int64_t>(own));
  exchange(
      ids, traffic_.features,
      [&](Writer& w, std::span<const int32_t> asked) {  // the rows gathered as own rows are
        std::vector<int64_t> rows(asked.size());
        for (size_t i = 0; i < asked.size(); ++i) rows[i] = row_index(asked[i]);
        copy_rows(w.extend(asked.size() * row_floats * sizeof(float)), reinterpret_cast<const char*>(table),
                  row_floats * sizeof(float), std::span<const int64_t>(rows));
      },
      [&](Reader& r, size_t i) {
        r.get_into(o + i * row_floats, row_floats);
        missing_bytes_ += static_cast<int64_t>(row_floats * sizeof(float));
      },
      row_floats * sizeof(float));
  return out;
}

Tensor RankGraph::fetch_rows(const float* local, int64_t width, std::span<const int32_t> ids) {
  return fetch_dense(local, width, ids, [&](int32_t v) { return local_id(v); });
}

Tensor RankGraph::fetch_rows(const float* table, int64_t width, std::span<const int32_t> ids,
                             std::span<const int32_t> table_nodes) {
  return fetch_dense(table, width, ids, [&](int32_t v) -> int64_t {
    const auto it = std::lower_bound(table_nodes.begin(), table_nodes.end(), v);
    return it != table_nodes.end() && *it == v ? it - table_nodes.begin() : -1;
  });
}

std::vector<int32_t> RankGraph::own_asked(std::span<const int32_t> ids) {
  check_ids(ids, "own_asked");
  std::vector<int32_t> out;
  for (const int32_t v : ids)
    if (owner(v) == comm_.rank()) out.push_back(v);
  exchange(
      ids, traffic_.features, [&](Writer&, std::span<const int32_t> asked) { out.insert(out.end(), asked.begin(), asked.end()); },
      [](Reader&, size_t) {});
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CsrMatrix RankGraph::fetch_rows(const CsrMatrix& local, std::span<const int32_t> ids) {
  check_ids(ids, "fetch_rows");
  // Fetched rows arrive by owner: kept aside (column, value pairs), then put in the ids' order.
  std::vector<std::vector<int32_t>> cols(ids.size());
  std::vector<std::vector<float>> vals(ids.size());
  exchange(
      ids, traffic_.features,
      [&](Writer& w, std::span<const int32_t> asked) {
        for (const int32_t v : asked) {
          const int64_t l = local_id(v);
          const int64_t b = local.indptr[l], e = local.indptr[l + 1];
          w.put(static_cast<int32_t>(e - b));
          w.put_span<int32_t>(std::span<const int32_t>(local.indices.data() + b, static_cast<size_t>(e - b)));
          w.put_span<float>(std::span<const float>(local.values.data() + b, static_cast<size_t>(e - b)));
        }
      },
      [&](Reader& r, size_t i) {
        const int32_t k = r.get<int32_t>();  // a row may repeat a column (the dataset's CSR as stored)
        if (k < 0 || static_cast<size_t>(k) * (sizeof(int32_t) + sizeof(float)) > r.remaining())
          throw Error("dist: another rank sent a sparse row of " + std::to_string(k) + " values in a shorter message");
        cols[i].resize(static_cast<size_t>(k));
        vals[i].resize(static_cast<size_t>(k));
        r.get_into(cols[i].data(), cols[i].size());
        r.get_into(vals[i].data(), vals[i].size());
        missing_bytes_ += static_cast<int64_t>(k) * static_cast<int64_t>(sizeof(int32_t) + sizeof(float));
      });
  CsrMatrix out;
  out.rows = static_cast<int64_t>(ids.size());
  out.cols = local.cols;
  out.indptr.assign(1, 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t l = local_id(ids[i]);
    if (l >= 0) {
      const auto b = static_cast<std::ptrdiff_t>(local.indptr[l]), e = static_cast<std::ptrdiff_t>(local.indptr[l + 1]);
      out.indices.insert(out.indices.end(), local.indices.begin() + b, local.indices.begin() + e);
      out.values.insert(out.values.end(), local.values.begin() + b, local.values.begin() + e);
    } else {
      out.indices.insert(out.indices.end(), cols[i].begin(), cols[i].end());
      out.values.insert(out.values.end(), vals[i].begin(), vals[i].end());
    }
    out.indptr.push_back(static_cast<int64_t>(out.values.size()));
  }
  return out;
}

}  // namespace gatgrad::dist
