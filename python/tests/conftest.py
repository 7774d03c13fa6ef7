# Shared by the pytest suites of the Python module (CTest runs each file as python_<name>, with
# PYTHONPATH at the build's python/ and GATGRAD_BUILD / GATGRAD_SHARED_DIR set by python/CMakeLists.txt).
# To add a case: a test_* function in the file of its topic; keep it well under a second.
import os
import pathlib

import numpy as np
import pytest


def shared_dataset(name):
    """The shared dataset `name` ($GATGRAD_SHARED, else the build's ../shared), or a visible skip."""
    root = os.environ.get("GATGRAD_SHARED") or os.environ.get("GATGRAD_SHARED_DIR", "")
    path = pathlib.Path(root) / "datasets" / name
    if not root or not path.is_dir():
        pytest.skip(f"skipped: dataset '{name}' not found at '{path}' (set GATGRAD_SHARED)")
    return path


def build_program(name):
    """build/bin/<name>, or a visible skip."""
    path = pathlib.Path(os.environ.get("GATGRAD_BUILD", "build")) / "bin" / name
    if not path.exists():
        pytest.skip(f"skipped: {path} is not built")
    return path


def tiny_arrays(seed=0, n=12, f=5):
    """A small two-class graph: features, a ring's edges both ways, labels and three masks."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, f)).astype(np.float32)
    ring = np.arange(n)
    edge_index = np.stack([np.concatenate([ring, (ring + 1) % n]), np.concatenate([(ring + 1) % n, ring])])
    y = (ring % 2).astype(np.int64)
    train = ring < 4
    val = (ring >= 4) & (ring < 8)
    test = ring >= 8
    return dict(x=x, edge_index=edge_index, y=y, train_mask=train, val_mask=val, test_mask=test)


def aligned_empty(shape, dtype=np.float32, alignment=64):
    """An uninitialised array whose data starts on an `alignment`-byte boundary."""
    count = int(np.prod(shape))
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(count * itemsize + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + count * itemsize].view(dtype).reshape(shape)
