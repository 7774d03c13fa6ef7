// gat-bench: measures what gatgrad is for, speed.
//   gat-bench gemm  --m M --k K --n N [--transposed] [--threads T]   float32 matmul, ends with gflops=<x>
//   gat-bench train [--data DIR | --nodes N --edges E --features F --classes C] [--epochs E]
//                   [--threads T] [--model M] [--layers L] [--residual] [--heads H] [--hidden F']
//                   [--out-heads K] [--seed S] [--node-order input|rcm] (gat-train's rows of them,
//                   apps/lib/config_options.cpp)
//       ends with epoch_ms_median=<x> infer_ms_median=<y> peak_rss_mb=<z> edges_per_s=<w>
//   gat-bench train ... --profile
//       then the op profile of as many epochs (steps): per op kind and phase (forward, backward,
//       optimiser) calls, time and oneTBB parallel regions, ends with profile_epoch_us=<x>
//       profile_regions_per_epoch=<y> profile_infer_regions=<z> (bench_profile.hpp)
//   gat-bench train ... --batch-size B [--fanout 10,10,..] [--micro-batches M] [--steps S]
//       mini-batch steps (seed_nodes_per_s, sampled_edges_per_s, peak_rss_mb), what full batch
//       would need, and a full-batch epoch beside them when it fits (bench_minibatch.hpp)
//   gat-bench memory [--threads T] [--mb M]   memory bandwidth with 1..T threads, then (T > 1) the
//       time a cache line takes from one core to another (core_to_core_ns), ends with speedup=<x>
//   gat-bench task --task graph|link [--data DIR] [--epochs E] [--threads T]
//       training epochs of graph classification (preset tu, one fold) or link prediction (preset
//       link), evaluation apart; ends with epoch_ms_median=<x> epoch_cpu_ms=<y> ... (bench_task.hpp)
//   gat-bench isa                              the levels built, run by this CPU, and in use
//   gat-bench sample [--nodes N --edges E] [--batch-size B] [--fanout 10,10] [--batches K] [--threads T]
//       the neighbour sampler alone, ends with sampled_edges_per_s=<x>
#include <CLI/CLI.hpp>

#include "apps/lib/app_common.hpp"
#include "apps/lib/bench_gemm.hpp"
#include "apps/lib/bench_memory.hpp"
#include "apps/lib/bench_sample.hpp"
#include "apps/lib/bench_task.hpp"
#include "apps/lib/bench_train.hpp"
#include "autograd/isa.hpp"
#include "autograd/version.hpp"
#include "models/presets.hpp"

using namespace gatgrad;

int main(int argc, char** argv) {
  CLI::App cli{"Benchmarks of gatgrad's kernels and of GAT training."};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string("gat-bench (gatgrad) ") + version());

  int64_t m = 2708, k = 1433, n = 64;
  bool transposed = false;
  int gemm_threads = 0, repeats = 30;
  CLI::App* gemm = cli.add_subcommand("gemm", "time C = A·B (or the weight-gradient form Aᵀ·G) in float32");
  gemm->add_option("--m", m, "rows of A")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  gemm->add_option("--k", k, "columns of A")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  gemm->add_option("--n", n, "columns of B")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  gemm->add_flag("--transposed", transposed, "time C[k,n] = Aᵀ·G with A m×k, G m×n");
  gemm->add_option("--threads", gemm_threads, "oneTBB threads (default: all cores)")->check(CLI::Range(1, 1024));
  gemm->add_option("--repeats", repeats, "timed runs (median reported)")->check(CLI::Range(1, 100000));

  bench::TrainBenchOptions t;
  CLI::App* train = cli.add_subcommand("train", "time training epochs and inference of the standard GAT");
  train->add_option("--data", t.data, "a .npy dataset directory (default: synthetic graph)")->check(CLI::ExistingDirectory);
  train->add_option("--nodes", t.nodes, "synthetic graph: nodes")->check(CLI::Range(int64_t{10}, int64_t{1} << 30));
  train->add_option("--edges", t.edges, "synthetic graph: directed edges")->check(CLI::Range(int64_t{2}, int64_t{1} << 31));
  train->add_option("--features", t.features, "synthetic graph: features")->check(CLI::Range(int64_t{1}, int64_t{1} << 16));
  train->add_option("--classes", t.classes, "synthetic graph: classes")->check(CLI::Range(int64_t{2}, int64_t{1} << 16));
  train->add_option("--epochs", t.epochs, "timed epochs")->check(CLI::Range(int64_t{1}, int64_t{100000}));
  train->add_option("--threads", t.threads, "oneTBB threads (default: all cores)")->check(CLI::Range(1, 1024));
  // gat-train's rows for these (apps/lib/config_options.cpp): the same fields, help and ranges.
  app::add_config_options(*train, t.config, make_preset(kDefaultPreset), bench::bench_config_options());
  train->add_option("--steps", t.steps, "mini-batch: timed steps")->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  train->add_flag("--profile", t.profile, "then as many epochs (steps) again with the op profile on: per op kind "
                                          "and phase its calls, time and parallel regions");

  int memory_threads = 0, memory_mb = 256, memory_repeats = 10;
  CLI::App* memory = cli.add_subcommand("memory", "memory bandwidth (a STREAM triad) with 1 thread and with all");
  memory->add_option("--threads", memory_threads, "most oneTBB threads (default: all cores)")->check(CLI::Range(1, 1024));
  memory->add_option("--mb", memory_mb, "MiB per array (3 arrays)")->check(CLI::Range(16, 16384));
  memory->add_option("--repeats", memory_repeats, "timed runs (median reported)")->check(CLI::Range(1, 1000));

  bench::SampleBenchOptions s;
  CLI::App* sample = cli.add_subcommand("sample", "time the neighbour sampler alone (sampled edges per second)");
  sample->add_option("--nodes", s.nodes, "synthetic graph: nodes")->check(CLI::Range(int64_t{10}, int64_t{1} << 30));
  sample->add_option("--edges", s.edges, "synthetic graph: directed edges")->check(CLI::Range(int64_t{2}, int64_t{1} << 31));
  sample->add_option("--batch-size", s.batch_size, "seed nodes per batch")->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  sample->add_option("--fanout", s.fanout, "neighbours per target and hop, seeds' hop first (-1: all)")
      ->delimiter(',')->check(CLI::Range(int64_t{-1}, int64_t{1} << 30));
  sample->add_option("--batches", s.batches, "timed batches")->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  sample->add_option("--threads", s.threads, "oneTBB threads (default: all cores)")->check(CLI::Range(1, 1024));
  sample->add_option("--seed", s.seed, "seed");

  bench::TaskBenchOptions tk;
  CLI::App* task = cli.add_subcommand("task", "time training epochs of graph classification or link prediction");
  task->add_option("--task", tk.task, "graph (preset tu, fold 1 of 10) or link (preset link)")
      ->check(CLI::IsMember({"graph", "link"}));
  task->add_option("--data", tk.data, "graph: a TU Dortmund folder or graph_y.npy data; link: a .npy dataset "
                                      "(default: synthetic)")->check(CLI::ExistingDirectory);
  task->add_option("--epochs", tk.epochs, "timed epochs")->check(CLI::Range(int64_t{1}, int64_t{100000}));
  task->add_option("--threads", tk.threads, "oneTBB threads (default: all cores)")->check(CLI::Range(1, 1024));
  task->add_flag("--no-clock{false}", tk.clock, "skip the clock measurement after the epochs (busy_loop_ghz)");

  CLI::App* isa = cli.add_subcommand("isa", "the instruction-set levels of the kernels: built, run by this CPU, in use");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? app::kExitOk : app::kExitUsage;
  }
  return app::run_main("gat-bench", [&] {
    if (isa->parsed()) {
      std::string built, supported;
      for (kernels::Isa level : kernels::compiled_isas()) {
        built += std::string(built.empty() ? "" : " ") + kernels::isa_name(level);
        if (kernels::cpu_supports(level)) supported += std::string(supported.empty() ? "" : " ") + kernels::isa_name(level);
      }
      std::printf("isa_built=%s\nisa_supported=%s\n", built.c_str(), supported.c_str());
    }
    std::printf("isa=%s\n", kernels::isa_name(kernels::active_isa()));  // the kernels' instruction set
    if (isa->parsed()) return app::kExitOk;
    if (gemm->parsed()) return bench::run_gemm_bench(m, k, n, transposed, gemm_threads, repeats);
    if (memory->parsed()) return bench::run_memory_bench(memory_threads, memory_mb, memory_repeats);
    if (sample->parsed()) return bench::run_sample_bench(s);
    if (task->parsed()) return bench::run_task_bench(tk);
    return bench::run_train_bench(t);
  });
}
