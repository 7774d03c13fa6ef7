/// @file
/// What happens when a memory-mapped file is cut short under a running job. A mapping reads the
/// file where it lies; if another process truncates the file, a read of a page beyond the new end
/// raises SIGBUS, which would kill the job with "Bus error" (exit 135) and no name. map_npy
/// (io/npy.hpp) registers each mapping here; a SIGBUS whose address lies in a registered mapping
/// ends the process with a message naming the file and exit status 1 (a data error):
///   "gat-train: big/x.npy: the file was cut short while this program read it through a memory
///    mapping (another process truncated or rewrote it); its data is gone: rerun on a complete file"
/// No exception can be thrown from a signal (the fault can be in any thread, in any kernel), so
/// the process exits. A SIGBUS elsewhere goes to the handler that was installed before (or the
/// default one). The handler is installed once, by the first registration.
#pragma once
#include <cstddef>
#include <string>

namespace gatgrad {

/// Registers the mapping [begin, begin + length) of the file `name` (at most 64 at once; more are
/// mapped unguarded). Returns a slot for unguard_mapping, or -1 when none is free.
int guard_mapping(const void* begin, size_t length, const std::string& name);

/// Forgets the mapping of `slot` (before it is unmapped). -1 is ignored.
void unguard_mapping(int slot);

}  // namespace gatgrad
