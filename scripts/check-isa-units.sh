#!/usr/bin/env bash
# check-isa-units: the instruction-set units are self-contained. Each kernel unit (autograd's and
# graph's kernels/unit.cpp, compiled once per level with that level's -m flags) may define, for
# the linker, only symbols of its own namespace gatgrad::isa_<level> (or templates instantiated
# with its types). Any other global or weak symbol, a std:: or oneTBB inline function say, is a
# copy the linker may pick for every caller in the program, baseline code included: compiled with
# AVX-512 instructions, it would crash on a CPU without them. (Run on the Release build: the units
# are compiled optimised in every configuration, so that the headers' small inline functions are
# inlined rather than emitted.)
#
# usage: check-isa-units.sh NM isa_<level>=OBJ[:OBJ...] ...   (tests/CMakeLists.txt passes them)
# Exit status: 0 all units are self-contained, 1 a unit defines a foreign symbol (each named), 2 usage.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 NM isa_<level>=OBJ[:OBJ...] ..." >&2; exit 2; }
nm=$1
shift
status=0 units=0 symbols=0
for arg in "$@"; do
  ns=${arg%%=*} objects=${arg#*=}
  [[ $ns == isa_* && -n $objects ]] || { echo "check-isa-units: bad argument '$arg'" >&2; exit 2; }
  IFS=: read -r -a files <<<"$objects"
  for obj in "${files[@]}"; do
    [ -f "$obj" ] || { echo "check-isa-units: no object file $obj" >&2; exit 2; }
    units=$((units + 1))
    # defined symbols with global or weak binding (upper-case types, and 'u' for GNU unique)
    while IFS= read -r line; do
      symbols=$((symbols + 1))
      name=${line#* * }
      # (DW.ref.__gxx_personality_v0: the exception-handling personality's address, data that
      # every C++ object file may define, the same in all of them)
      if [[ $name != *"gatgrad::$ns::"* && $name != *"gatgrad::$ns "* && $name != "DW.ref.__gxx_personality_v0" ]]; then
        echo "$obj: defines '$name' outside gatgrad::$ns" >&2
        status=1
      fi
    done < <("$nm" -C --defined-only "$obj" | awk '$2 ~ /^[A-Zu]$/')
  done
done
[ $status -eq 0 ] && echo "check-isa-units: $units unit object files, $symbols global symbols, all in their level's namespace"
exit $status
