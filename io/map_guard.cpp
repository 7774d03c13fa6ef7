// The SIGBUS handler for memory-mapped files cut short under the process. See map_guard.hpp.
#include "io/map_guard.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>

#include <unistd.h>

namespace gatgrad {
namespace {

// One registered mapping. The handler reads `begin` and `end` (lock-free atomics: safe in a
// signal handler) and the name, which is written before `end` is published and cleared after.
struct Slot {
  std::atomic<uintptr_t> begin{0}, end{0};
  char name[512] = {};
};
constexpr int kSlots = 64;
Slot g_slots[kSlots];
std::mutex g_register;  // registrations and releases (never taken by the handler)
struct sigaction g_previous {};

void write_stderr(const char* s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(info ? info->si_addr : nullptr);
  for (Slot& s : g_slots) {
    const uintptr_t end = s.end.load(std::memory_order_acquire);
    if (end == 0 || at < s.begin.load(std::memory_order_relaxed) || at >= end) continue;
    write_stderr(program_invocation_short_name);
    write_stderr(": ");
    write_stderr(s.name);
    write_stderr(": the file was cut short while this program read it through a memory mapping (another process "
                 "truncated or rewrote it); its data is gone: rerun on a complete file\n");
    ::_exit(1);
  }
  // Not ours: what was there before.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN && g_previous.sa_handler) {
    return g_previous.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);  // returning re-runs the faulting access, which now ends the process
}

void install_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, &g_previous);
}

}  // namespace

int guard_mapping(const void* begin, size_t length, const std::string& name) {
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  std::lock_guard<std::mutex> lock(g_register);
  for (int k = 0; k < kSlots; ++k) {
    Slot& s = g_slots[k];
    if (s.end.load(std::memory_order_relaxed) != 0) continue;
    const size_t n = std::min(name.size(), sizeof s.name - 1);
    std::memcpy(s.name, name.data(), n);
    s.name[n] = '\0';
    s.begin.store(reinterpret_cast<uintptr_t>(begin), std::memory_order_relaxed);
    s.end.store(reinterpret_cast<uintptr_t>(begin) + length, std::memory_order_release);
    return k;
  }
  return -1;
}

void unguard_mapping(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  std::lock_guard<std::mutex> lock(g_register);
  g_slots[slot].end.store(0, std::memory_order_release);
  g_slots[slot].begin.store(0, std::memory_order_relaxed);
}

}  // namespace gatgrad
