# Graphs and datasets from arrays: the loader's checks with messages naming the argument, scipy
# sparse features, PyG-like objects, directories, and the features used where they lie.
import types

import numpy as np
import pytest

import gatgrad as gg
from conftest import aligned_empty, tiny_arrays


def test_graph_from_edge_index_and_message_passing_match_numpy():
    edge_index = np.array([[0, 1, 2, 2], [1, 2, 0, 1]])
    g = gg.Graph(edge_index, 3)
    assert (g.num_nodes, g.num_edges) == (3, 4)
    np.testing.assert_array_equal(g.in_degrees(), [1, 2, 1])
    assert g.add_self_loops().num_edges == 7
    x = np.array([[1.0], [10.0], [100.0]])
    # out[i] = sum of x[j] over edges j -> i:  0 <- 2, 1 <- 0 and 2, 2 <- 1
    out = gg.scatter_add(gg.gather(gg.Tensor(x), g, "src"), g).numpy()
    np.testing.assert_array_equal(out[:, 0], [100.0, 101.0, 10.0])
    src, dst = g.edge_index  # the graph's order: grouped by destination
    assert list(dst) == sorted(dst)
    with pytest.raises(ValueError, match="edge 2: source index 5 is out of range"):
        gg.Graph(np.array([[0, 1, 5], [1, 2, 0]]), 3)
    with pytest.raises(ValueError, match=r"edge_index: expected shape \(2, E\)"):
        gg.Graph(np.zeros((3, 2), dtype=np.int64), 3)


def test_dataset_from_arrays_holds_them():
    a = tiny_arrays()
    d = gg.Dataset(**a)
    assert (d.num_nodes, d.num_edges, d.num_features, d.num_classes) == (12, 24, 5, 2)
    np.testing.assert_array_equal(d.x, a["x"])
    np.testing.assert_array_equal(d.y, a["y"])
    np.testing.assert_array_equal(d.edge_index, a["edge_index"])
    np.testing.assert_array_equal(d.val_mask, a["val_mask"])
    assert not d.x.flags.writeable
    n = gg.Dataset(**a, normalize=True)
    np.testing.assert_allclose(n.x, a["x"] / np.maximum(a["x"].sum(1, keepdims=True), 1), rtol=1e-6)


@pytest.mark.parametrize("argument, value, words", [
    ("edge_index", np.array([[0, 1], [1, 12]]), "edge_index: edge 1: target index 12 is out of range [0, 12)"),
    ("edge_index", np.array([[0, -1], [1, 2]]), "edge_index: edge 1: source index -1 is negative"),
    ("edge_index", np.zeros((3, 2), dtype=np.int64), "edge_index: expected shape (2, E)"),
    ("y", np.zeros(11, dtype=np.int64), "y: has 11 rows but x has 12"),
    ("y", -np.ones(12, dtype=np.int64), "y: label -1 of node 0 is negative"),
    ("train_mask", np.zeros(12, dtype=bool), "train_mask: no training node"),
    ("val_mask", np.ones(5, dtype=bool), "val_mask: mask of length 5 but x has 12 nodes"),
    ("x", np.full((12, 5), np.nan, dtype=np.float32), "x: NaN in the features at row 0, column 0"),
    ("x", np.ones(12, dtype=np.float32), "x: expected a 2-d array [nodes, features]"),
    ("x", np.ones((12, 5), dtype=np.complex64), "x: dtype complex64 is not one a dataset holds"),
    ("edge_attr", np.ones((3, 2), dtype=np.float32), "edge_attr: has 3 rows but edge_index has 24 edges"),
    ("graph_index", np.arange(12), "edge_index: edge 0 joins node 0 (graph 0) to node 1 (graph 1)"),
])
def test_a_bad_array_raises_value_error_naming_it(argument, value, words):
    a = tiny_arrays()
    a[argument] = value
    with pytest.raises(ValueError) as e:
        gg.Dataset(**a)
    assert words in str(e.value)


def test_scipy_sparse_features_equal_the_dense_ones_in_every_format():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    a = tiny_arrays()
    a["x"][a["x"] < 0.8] = 0
    dense = gg.Dataset(**a, sparse_threshold=0.0)
    for fmt in ("csr", "csc", "coo", "lil"):
        s = dict(a, x=scipy_sparse.csr_matrix(a["x"]).asformat(fmt))
        d = gg.Dataset(**s, sparse_threshold=1.0)  # kept as CSR
        assert d.is_sparse
        np.testing.assert_array_equal(d.x.toarray(), dense.x)
    bad = scipy_sparse.csr_matrix(a["x"])
    bad.data[0] = np.inf
    with pytest.raises(ValueError, match="x"):
        gg.Dataset(**dict(a, x=bad))


def test_float32_features_are_used_where_they_lie_and_unaligned_ones_are_copied():
    a = tiny_arrays()
    x = aligned_empty(a["x"].shape)
    x[...] = a["x"]
    d = gg.Dataset(**dict(a, x=x))
    assert d._h._features_address() == x.ctypes.data  # no copy
    assert d.x.ctypes.data == d._h._features_address()  # x is a view, too
    for past in (4, 16):  # NumPy's own arrays start 16 bytes past a cache line, mostly
        shifted = aligned_empty((a["x"].size + past // 4,))[past // 4:].reshape(a["x"].shape)
        shifted[...] = a["x"]
        s = gg.Dataset(**dict(a, x=shifted))
        assert s._h._features_address() == shifted.ctypes.data
        np.testing.assert_array_equal(s.x, a["x"])
    raw = bytearray(a["x"].nbytes + 2)  # 2 bytes in: not aligned to a float, so copied
    odd = np.frombuffer(raw, dtype=np.float32, count=a["x"].size, offset=2).reshape(a["x"].shape)
    odd[...] = a["x"]
    c = gg.Dataset(**dict(a, x=odd))
    assert c._h._features_address() != odd.ctypes.data
    np.testing.assert_array_equal(c.x, a["x"])


def test_from_pyg_reads_pyg_names_without_torch():
    a = tiny_arrays()
    data = types.SimpleNamespace(**a, edge_attr=None)
    d = gg.from_pyg(data)
    assert d.num_nodes == 12 and d.num_classes == 2
    np.testing.assert_array_equal(d.test_mask, a["test_mask"])
    with pytest.raises(ValueError, match="edge_index"):
        gg.from_pyg(types.SimpleNamespace(x=a["x"]))


def test_load_dataset_reads_a_directory_and_names_the_bad_file(tmp_path):
    a = tiny_arrays()
    for name, value in a.items():
        np.save(tmp_path / f"{name}.npy", value)
    d = gg.load_dataset(tmp_path, normalize=False)
    np.testing.assert_array_equal(d.x, a["x"])
    np.save(tmp_path / "y.npy", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="y.npy: has 3 rows"):
        gg.load_dataset(tmp_path)


def test_synthetic_is_gat_trains_graph_and_refuses_unknown_options():
    d = gg.synthetic(num_nodes=300, num_features=8, seed=3, val_size=50, test_size=50)
    assert (d.num_nodes, d.num_features, d.num_classes) == (300, 8, 5)
    assert d._h._features_address() == d.x.ctypes.data
    with pytest.raises(TypeError, match="nodes"):
        gg.synthetic(nodes=10)
