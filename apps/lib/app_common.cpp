#include "apps/lib/app_common.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>

#include <xtensor/xadapt.hpp>
#include <xtensor/xsort.hpp>

#include "autograd/error.hpp"

namespace gatgrad::app {

namespace fs = std::filesystem;

int run_main(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: out of memory\n", program);
    return kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return kExitError;
  }
}

namespace {

fs::path parent_of(const std::string& path) {
  fs::path p = fs::path(path).parent_path();
  return p.empty() ? fs::path(".") : p;
}

void check_parent(const std::string& option, const std::string& path) {
  const fs::path parent = parent_of(path);
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw UsageError(option + " " + path + ": the folder " + parent.string() + " does not exist");
  if (::access(parent.c_str(), W_OK) != 0)
    throw UsageError(option + " " + path + ": the folder " + parent.string() + " is not writable");
  // access() says yes to root for folders where nothing can be created (/proc, ...): creating and
  // removing an entry there is the sure test, and it costs nothing next to the training it guards.
  const fs::path probe = parent / (".gatgrad-probe-" + std::to_string(::getpid()));
  if (::mkdir(probe.c_str(), 0700) != 0) {
    const int err = errno;
    throw UsageError(option + " " + path + ": cannot create anything in the folder " + parent.string() + ": " +
                     std::strerror(err));
  }
  ::rmdir(probe.c_str());
}

}  // namespace

void check_writable_file(const std::string& option, const std::string& path) {
  if (path.empty()) throw UsageError(option + ": empty path");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError(option + " " + path + ": is a folder, not a file");
  check_parent(option, path);
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
    throw UsageError(option + " " + path + ": the file exists and is not writable");
}

void check_writable_dir(const std::string& option, const std::string& path) {
  if (path.empty()) throw UsageError(option + ": empty path");
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw UsageError(option + " " + path + ": exists and is not a folder");
  // A checkpoint replaces the folder: only an earlier checkpoint (it has config.json) or an
  // empty folder may be there, never the user's other files (save_checkpoint refuses them too,
  // but only after the whole training run).
  if (fs::is_directory(path, ec) && !fs::exists(fs::path(path) / "config.json", ec) && !fs::is_empty(path, ec))
    throw UsageError(option + " " + path + ": the folder exists and is not a checkpoint (no config.json); "
                     "refusing to replace it");
  check_parent(option, path);
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// The middle value of the timings (the mean of the two middle ones for an even count), 0 for none.
double median(std::vector<double> v) { return v.empty() ? 0.0 : xt::median(xt::adapt(v)); }

}  // namespace gatgrad::app
