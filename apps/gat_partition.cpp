// gat-partition: cuts a graph into P parts with METIS for distributed training
// (`mpirun -np P gat-train --partitions PARTS`, dist/distributed_steps.hpp) and writes one
// folder per part (the layout in dist/partition.hpp). The graph is a dataset folder
// (`--data DIR`) or the built-in synthetic graph of gat-train (its --seed; --nodes, --edges,
// --features, --classes and --train-per-class make a larger one for benchmarks).
// Features are stored as the dataset has them: each rank normalises its own rows, as
// gat-train --data does, so a partitioned run sees exactly the rows of a single-process one.
// Edge features (edge_attr.npy, checked by the loader) go with their edges to the part of
// their destination. What the loader accepts is partitioned, and every part loads again.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "apps/lib/app_common.hpp"
#include "apps/lib/synthetic_options.hpp"
#include "autograd/version.hpp"
#include "dist/partition.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "models/presets.hpp"

using namespace gatgrad;

namespace {

struct Options {
  std::string data;  // empty: the built-in synthetic graph
  std::string out;
  int32_t parts = 0;
  uint64_t seed = GATConfig{}.seed;  // of the synthetic graph, as gat-train's --seed
  uint64_t metis_seed = 1;
  CsbmOptions synthetic;  // its sizes; its seed is `seed`
  bool quiet = false;
};

int run(const Options& o) {
  dist::check_partition_output(o.out);  // before anything is read or cut
  Dataset d;
  CsbmOptions synthetic = o.synthetic;
  synthetic.seed = o.seed;
  if (o.data.empty()) {
    d = make_csbm(synthetic);
  } else {
    LoadOptions lo;
    lo.normalize_features = false;  // stored as they are; the ranks normalise (see the file comment)
    d = load_dataset(o.data, lo);
  }
  const dist::PartitionPlan plan = dist::metis_partition(d, o.parts, o.metis_seed);
  dist::write_partitions(d, plan, o.out, dist::PartitionSource{o.data, synthetic, o.metis_seed});
  if (o.quiet) return app::kExitOk;
  const dist::PartitionMeta meta = dist::read_partition_meta(o.out);
  const std::string edge_features = meta.edge_dim > 0 ? ", " + std::to_string(meta.edge_dim) + " edge features" : "";
  std::printf("gat-partition: %s (%lld nodes, %lld edges%s) into %d parts in %s; edge cut %lld\n",
              o.data.empty() ? "the synthetic graph" : o.data.c_str(), static_cast<long long>(meta.num_nodes),
              static_cast<long long>(meta.num_edges), edge_features.c_str(), meta.parts, o.out.c_str(),
              static_cast<long long>(meta.edge_cut));
  for (int32_t k = 0; k < meta.parts; ++k)
    std::printf("part %d: nodes=%lld train=%lld incoming_edges=%lld halo=%lld\n", k,
                static_cast<long long>(meta.part_nodes[k]), static_cast<long long>(meta.part_train_nodes[k]),
                static_cast<long long>(meta.part_edges[k]), static_cast<long long>(meta.part_halo[k]));
  return app::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cli{"Partition a graph with METIS for distributed training (mpirun -np P gat-train --partitions DIR)."};
  cli.add_option("--data", o.data, "directory of .npy files (as gat-train --data); default: the synthetic graph")
      ->check(CLI::ExistingDirectory);
  cli.add_option("--parts", o.parts, "number of parts, one per MPI rank")->required()->check(CLI::Range(1, 32767));
  cli.add_option("--out", o.out, "the partition folder to write (an earlier one there is replaced)")->required();
  cli.add_option("--seed", o.seed, "seed of the synthetic graph (gat-train's --seed)");
  cli.add_option("--metis-seed", o.metis_seed, "METIS' seed (the same seed gives the same parts)");
  app::add_synthetic_options(cli, o.synthetic);
  cli.add_flag("--quiet", o.quiet, "print nothing but errors");
  cli.set_version_flag("--version", std::string("gat-partition (gatgrad) ") + version());
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? app::kExitOk : app::kExitUsage;
  }
  if (!o.data.empty() && (app::synthetic_options_given(cli) || cli.count("--seed"))) {
    std::fprintf(stderr, "gat-partition: --nodes, --edges, --features, --classes, --train-per-class, --edge-features "
                         "and --seed describe the synthetic graph: not with --data\n");
    return app::kExitUsage;
  }
  return app::run_main("gat-partition", [&] { return run(o); });
}
