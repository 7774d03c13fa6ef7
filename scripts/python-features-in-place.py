#!/usr/bin/python3
"""Issue 32's no-copy check: a NumPy x of 1M x 128 float32 (488 MB) given to gatgrad.Dataset and
read by model.predict where it lies, shown by the process's memory (VmRSS, VmHWM).

    PYTHONPATH=build/python /usr/bin/python3 scripts/python-features-in-place.py [--copy]

--copy gives the same values 2 bytes into a raw buffer (not aligned to a float), which gatgrad
must copy: the run without it should end about one x (488 MB) lower. Each variant in its own
process (the peak is the process's). Takes about a minute and 3 GB.
"""
import sys
import time

import numpy as np

import gatgrad

N, E, F, C = 1_000_000, 10_000_000, 128, 8


def memory_mb():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def report(stage):
    rss, peak = memory_mb()
    print(f"{stage:<34} rss {rss:7.0f} MB   peak {peak:7.0f} MB", flush=True)


copy = "--copy" in sys.argv[1:]
rng = np.random.default_rng(0)
small = gatgrad.synthetic(num_nodes=3000, num_edges=30000, num_features=F, num_classes=C, seed=1)
model = gatgrad.GAT()  # (its sizes come from the data it is fitted on)
model.fit(small, epochs=5, progress=False)
report("fitted on 3000 nodes")

x = rng.standard_normal((N, F), dtype=np.float32)
if copy:
    raw = bytearray(x.nbytes + 2)
    shifted = np.frombuffer(raw, dtype=np.float32, count=x.size, offset=2).reshape(N, F)
    shifted[...] = x
    del x
    x = shifted
edge_index = rng.integers(0, N, size=(2, E), dtype=np.int64)
y = rng.integers(0, C, size=N, dtype=np.int64)
report(f"x [{N}, {F}] float32 ({x.nbytes / 2**20:.0f} MB)")
data = gatgrad.Dataset(x, edge_index, y=y)
in_place = data._h._features_address() == x.ctypes.data
report("Dataset(x, edge_index, y)")
del edge_index, y
t0 = time.perf_counter()
logits = model.predict(data)
seconds = time.perf_counter() - t0
report(f"predict -> {logits.shape} in {seconds:.1f} s")
print(f"x {'given 2 bytes into a buffer' if copy else 'allocated by NumPy'} "
      f"(address mod 64 = {x.ctypes.data % 64}): "
      f"{'used where it lies' if in_place else 'copied'}")
