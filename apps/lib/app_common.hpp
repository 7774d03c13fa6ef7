// Conventions every gatgrad program follows: errors on stderr, exit 0 on success, 1 on a data
// or runtime error, 2 on a usage error; output paths checked before any long work starts.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace gatgrad::app {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;  // bad data, failed I/O, runtime errors
constexpr int kExitUsage = 2;  // bad command line

// Runs body() and maps exceptions to exit codes, printing "<program>: <message>" on stderr.
int run_main(const char* program, const std::function<int()>& body);

// Throws UsageError naming `option` unless `path` can be created or overwritten as a file:
// its folder exists and is writable, and it is not a folder itself.
void check_writable_file(const std::string& option, const std::string& path);
// The same for a directory that will be created or replaced (its parent must be writable).
void check_writable_dir(const std::string& option, const std::string& path);

double peak_rss_mb();  // high-water mark of this process's resident memory
double median(std::vector<double> values);

}  // namespace gatgrad::app
