// metis_partition: the nodes cut into P parts by METIS (see partition.hpp).
//   1. the graph made undirected: each edge j -> i (j != i) in both lists, each list sorted and
//      without repeats (METIS wants a symmetric graph with neither loops nor multi-edges)
//   2. weights per node: (1, 1 if training node else 0); one constraint without training nodes
//   3. METIS_PartGraphKway, its seed fixed: the same input gives the same parts
#include <metis.h>

#include <algorithm>
#include <limits>
#include <string>

#include "autograd/error.hpp"
#include "dist/partition.hpp"

namespace gatgrad::dist {

PartitionPlan metis_partition(const Dataset& d, int32_t parts, uint64_t seed) {
  const int64_t N = d.num_nodes;
  if (parts < 1) throw UsageError("--parts must be at least 1, got " + std::to_string(parts));
  if (parts > N)
    throw UsageError("--parts " + std::to_string(parts) + " is more than the graph's " + std::to_string(N) + " nodes");
  PartitionPlan plan;
  plan.parts = parts;
  plan.owner.assign(static_cast<size_t>(N), 0);
  if (parts == 1) return plan;
  if (2 * d.num_edges() > std::numeric_limits<idx_t>::max())
    throw Error("metis_partition: " + std::to_string(d.num_edges()) + " edges do not fit METIS' 32-bit indices");

  // 1. symmetric CSR without loops or repeats
  std::vector<idx_t> degree(static_cast<size_t>(N), 0);
  for (int64_t e = 0; e < d.num_edges(); ++e)
    if (d.src[e] != d.dst[e]) {
      ++degree[d.src[e]];
      ++degree[d.dst[e]];
    }
  std::vector<idx_t> xadj(static_cast<size_t>(N + 1), 0);
  for (int64_t v = 0; v < N; ++v) xadj[v + 1] = xadj[v] + degree[v];
  std::vector<idx_t> adjncy(static_cast<size_t>(xadj[N]));
  std::vector<idx_t> fill(xadj.begin(), xadj.end() - 1);
  for (int64_t e = 0; e < d.num_edges(); ++e)
    if (d.src[e] != d.dst[e]) {
      adjncy[fill[d.src[e]]++] = d.dst[e];
      adjncy[fill[d.dst[e]]++] = d.src[e];
    }
  idx_t kept = 0;
  for (int64_t v = 0; v < N; ++v) {
    idx_t* b = adjncy.data() + xadj[v];
    idx_t* e = adjncy.data() + xadj[v + 1];
    std::sort(b, e);
    idx_t* u = std::unique(b, e);
    const idx_t begin = kept;
    for (idx_t* p = b; p < u; ++p) adjncy[kept++] = *p;
    xadj[v] = begin;
  }
  xadj[N] = kept;
  adjncy.resize(static_cast<size_t>(kept));

  // 2. weights
  int64_t train = 0;
  for (uint8_t t : d.train_mask) train += t;
  idx_t ncon = train > 0 ? 2 : 1;
  std::vector<idx_t> vwgt(static_cast<size_t>(N * ncon));
  for (int64_t v = 0; v < N; ++v) {
    vwgt[v * ncon] = 1;
    if (ncon == 2) vwgt[v * ncon + 1] = d.train_mask[v];
  }

  // 3. METIS
  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_SEED] = static_cast<idx_t>(seed & 0x7fffffff);
  options[METIS_OPTION_NUMBERING] = 0;
  idx_t n = static_cast<idx_t>(N), nparts = parts, objval = 0;
  std::vector<idx_t> part(static_cast<size_t>(N));
  const int status = METIS_PartGraphKway(&n, &ncon, xadj.data(), adjncy.data(), vwgt.data(), nullptr, nullptr, &nparts,
                                         nullptr, nullptr, options, &objval, part.data());
  if (status != METIS_OK)
    throw Error("metis_partition: METIS_PartGraphKway failed (" +
                std::string(status == METIS_ERROR_MEMORY ? "out of memory" : status == METIS_ERROR_INPUT ? "bad input" : "error") +
                ")");
  for (int64_t v = 0; v < N; ++v) plan.owner[v] = part[v];
  plan.edge_cut = objval;
  return plan;
}

}  // namespace gatgrad::dist
