/// @file
/// Partitions of a graph for distributed training: gat-partition cuts the nodes into P parts
/// (METIS) and writes one folder per part; each MPI rank of `gat-train --partitions` reads
/// only its own (load_partition, then dist/distributed_steps.hpp's make_rank_data).
///
///   PARTS/meta.json        P, N, E, F, C, multi-label or not, the source (dataset folder, or ""
///                          for the built-in synthetic graph, with its options), METIS' seed, the
///                          edge cut, and per part: nodes, training nodes, incoming edges, halo
///   PARTS/owner.npy        int16 [N] (int32 when P > 32767): node -> its part
///   PARTS/part-K/nodes.npy int64 [n_K] the part's nodes, ascending: node -> local id is its
///                          position here, so owner.npy and this list are the whole map
///   PARTS/part-K/x.npy     float32 [n_K, F] their features as the dataset has them (a rank
///                          normalises rows as gat-train --data does); sparse features (Cora's,
///                          as load_dataset keeps them) as CSR instead: x_indptr.npy int64
///                          [n_K + 1], x_indices.npy int32 [nnz], x_data.npy float32 [nnz], the
///                          stored values in the dataset's order (sparse dropout numbers them),
///                          columns as the dataset's CSR stores them (any order, repeats kept:
///                          what the single-process loader accepts, read_csr)
///   PARTS/part-K/y.npy     int64 [n_K] (or [n_K, C] 0/1 when multi-label)
///   PARTS/part-K/{train,val,test}_mask.npy  bool [n_K]
///   PARTS/part-K/in_ptr.npy int64 [n_K + 1], in_src.npy int32 [E_K]: node k's incoming
///                          neighbours (global ids) are in_src[in_ptr[k] .. in_ptr[k+1]), exactly
///                          as the whole graph lists them (AdjacencySource's contract: the
///                          sampler keys its draws by position in that list)
///   PARTS/part-K/edge_attr.npy float32 [E_K, D], with edge features (meta.json's edge_dim D > 0):
///                          row e holds the features of the edge in_src[e] -> its node, the row
///                          the whole graph's NodeData::edge_attr has for it
/// Halo of a part: the nodes of other parts with an edge into it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/dataset.hpp"
#include "graph/synthetic.hpp"

namespace gatgrad::dist {

/// Which part each node is in.
struct PartitionPlan {
  int32_t parts = 0;
  std::vector<int32_t> owner;  ///< [N] in [0, parts)
  int64_t edge_cut = 0;        ///< undirected edges between two parts (METIS' objective)
};

/// What was partitioned, recorded in meta.json (a resumed run checks it).
struct PartitionSource {
  std::string data;       ///< the dataset folder, "" for the built-in synthetic graph
  CsbmOptions synthetic;  ///< the synthetic graph's options (its seed too), when data is ""
  uint64_t metis_seed = 0;
};

/// METIS k-way partitioning (METIS_PartGraphKway) of d's graph made undirected (no self-loops,
/// no repeated edges), minimising the edge cut, with two balance constraints per node: 1 (the
/// nodes) and 1 for a training node (so every part gets about T/P of each step's seeds).
/// Deterministic: METIS draws from `seed` alone. P = 1 needs no METIS.
/// Throws UsageError for parts < 1 or more parts than nodes; Error when METIS fails or is not
/// built in (gatgrad_partition without libmetis).
PartitionPlan metis_partition(const Dataset& d, int32_t parts, uint64_t seed);

/// Writes the partition folder `out` (layout above) from d and plan. Written beside `out`
/// and moved into place at the end: an earlier partition folder there is replaced whole, an
/// empty folder is used, and anything else is refused (UsageError) before any file is written.
void write_partitions(const Dataset& d, const PartitionPlan& plan, const std::string& out,
                      const PartitionSource& source);

/// UsageError unless `out` can receive a partition folder (what write_partitions checks first).
void check_partition_output(const std::string& out);

/// meta.json of a partition folder.
struct PartitionMeta {
  int32_t parts = 0;
  int64_t num_nodes = 0, num_edges = 0, num_features = 0, num_classes = 0;
  bool multilabel = false;
  bool sparse_features = false;  ///< x as CSR (x_indptr, x_indices, x_data), as the dataset holds it
  int64_t edge_dim = 0;           ///< D of each part's edge_attr.npy; 0: no edge features (absent in older folders)
  PartitionSource source;
  int64_t edge_cut = 0;
  std::vector<int64_t> part_nodes, part_train_nodes, part_edges, part_halo;  ///< [P] each
};

/// Reads and checks PARTS/meta.json (DataError naming the file and field).
PartitionMeta read_partition_meta(const std::string& dir);

/// One part, as its rank holds it.
struct LocalPart {
  PartitionMeta meta;
  int32_t part = 0;
  std::vector<int32_t> owner;    ///< [N] every node's part
  std::vector<int64_t> nodes;    ///< [n] global ids, ascending
  Dataset data;                  ///< the part's nodes: x (as stored), y, masks; no edges
  std::vector<int64_t> in_ptr;   ///< [n + 1]
  std::vector<int32_t> in_src;   ///< [E_K] global ids
  std::vector<float> edge_attr;  ///< [E_K, meta.edge_dim] the features of those edges; empty without
};

/// Reads part `part` of PARTS, checking every array against meta.json and owner.npy
/// (DataError naming the file and the problem).
LocalPart load_partition(const std::string& dir, int32_t part);

}  // namespace gatgrad::dist
