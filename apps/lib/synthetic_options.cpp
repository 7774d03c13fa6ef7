// See synthetic_options.hpp.
#include "apps/lib/synthetic_options.hpp"

namespace gatgrad::app {

void add_synthetic_options(CLI::App& cli, CsbmOptions& o) {
  const std::string group = "Synthetic graph (without --data)";
  cli.add_option("--nodes", o.num_nodes, "nodes (default " + std::to_string(o.num_nodes) + ")")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 31))->group(group);
  cli.add_option("--edges", o.num_edges, "directed edges, even (default: " + std::to_string(static_cast<int>(o.avg_degree)) +
                                             " per node)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40))->group(group);
  cli.add_option("--features", o.num_features, "features (default " + std::to_string(o.num_features) + ")")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->group(group);
  cli.add_option("--classes", o.num_classes, "classes (default " + std::to_string(o.num_classes) + ")")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 16))->group(group);
  cli.add_option("--train-per-class", o.train_per_class,
                 "training nodes per class (default " + std::to_string(o.train_per_class) + ")")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))->group(group);
  cli.add_option("--edge-features", o.edge_dim,
                 "features per edge (column 0 says, noisily, whether the edge stays in a class; default 0: none)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 10))->group(group);
}

bool synthetic_options_given(const CLI::App& cli) {
  for (const char* name : {"--nodes", "--edges", "--features", "--classes", "--train-per-class", "--edge-features"})
    if (cli.count(name)) return true;
  return false;
}

}  // namespace gatgrad::app
