// gradcheck: runs the float64 gradient check of every registered op (or of the ops named on
// the command line) and prints one line per check:
//   <op> max_abs_err=<x> max_rel_err=<y> PASS|FAIL
// Exit status: 0 when all pass, 1 when one fails, 2 on a usage error.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apps/lib/all_checks.hpp"
#include "autograd/isa.hpp"

using namespace gatgrad;

static void usage(FILE* out) {
  std::fprintf(out,
               "usage: gradcheck [--list] [OP ...]\n"
               "  Compares analytic gradients with central finite differences (float64) through\n"
               "  a randomly weighted sum of each op's output.\n"
               "  --list   print the names of the registered checks and exit\n"
               "  OP       check only these (default: all); e.g. `gradcheck softmax sum:axis`\n");
}

int main(int argc, char** argv) {
  const CheckRegistry registry = all_checks();
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    }
    if (arg == "--list") {
      for (const GradcheckCase& c : registry.cases()) std::printf("%s\n", c.name.c_str());
      return 0;
    }
    if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "gradcheck: unknown option '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
    if (!registry.find(arg)) {
      std::fprintf(stderr, "gradcheck: no check named '%s' (see gradcheck --list)\n", arg.c_str());
      return 2;
    }
    names.push_back(arg);
  }
  if (names.empty())
    for (const GradcheckCase& c : registry.cases()) names.push_back(c.name);

  try {
    std::printf("gradcheck: %s kernels\n", kernels::isa_name(kernels::active_isa()));
  } catch (const std::exception& e) {  // GATGRAD_ISA names a level this build or CPU lacks
    std::fprintf(stderr, "gradcheck: %s\n", e.what());
    return 2;
  }
  int failed = 0;
  for (const std::string& name : names) {
    GradcheckResult r;
    try {
      r = registry.find(name)->run();
    } catch (const std::exception& e) {
      std::printf("%s error: %s FAIL\n", name.c_str(), e.what());
      ++failed;
      continue;
    }
    std::printf("%s max_abs_err=%.3e max_rel_err=%.3e %s\n", name.c_str(), r.max_abs_err, r.max_rel_err,
                r.pass ? "PASS" : "FAIL");
    if (!r.pass) {
      std::printf("  worst: %s\n", r.worst.c_str());
      ++failed;
    }
  }
  std::printf("%zu checks, %d failed\n", names.size(), failed);
  return failed ? 1 : 0;
}
