"""Datasets: gatgrad.Dataset from NumPy / SciPy arrays, from a directory (or a TU Dortmund folder), from PyG's
Data, synthetic (one graph, or the motif set of graphs).

Every array is checked as the loader checks the files of a dataset directory (graph/load_dataset.hpp),
and a bad one raises ValueError naming the argument and the problem:
    ValueError: edge_index: edge 17: target index 2708 is out of range [0, 2708)

Copies: a float32, C-contiguous x that is not normalised is used where it lies (NumPy's own arrays
and np.load(path, mmap_mode="r")'s are; the dataset keeps it alive and sees later writes to it).
Any other x is copied once into gatgrad's memory: another dtype, another layout, data not aligned to
4 bytes (a view at an odd byte offset of a buffer), normalize=True, or scipy.sparse (a CSR of
gatgrad's). Labels, masks, edges and edge features are always copied into the loader's types.
"""
import json

import numpy as np

from . import _gatgrad

_SPARSE_FORMATS = ("csr", "csc", "coo")


def _array(value, name):
    """value as a C-contiguous ndarray (a copy only when its layout needs one), None stays None."""
    if value is None:
        return None
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):  # a torch tensor, duck-typed
        value = value.detach().cpu().numpy()
    try:
        return np.ascontiguousarray(value)
    except Exception as e:  # noqa: BLE001  the message names the argument
        raise ValueError(f"{name}: not an array ({e})") from None


def _sparse_members(x):
    """scipy.sparse's arrays, named as scipy.sparse.save_npz names them (the loader's x.npz reader checks them)."""
    fmt = x.format if x.format in _SPARSE_FORMATS else "csr"
    if fmt != x.format:
        x = x.tocsr()
    members = {"format": fmt, "shape": np.asarray(x.shape, dtype=np.int64), "data": np.ascontiguousarray(x.data)}
    if fmt == "coo":
        members["row"], members["col"] = np.ascontiguousarray(x.row), np.ascontiguousarray(x.col)
    else:
        members["indptr"], members["indices"] = np.ascontiguousarray(x.indptr), np.ascontiguousarray(x.indices)
    return members


class Dataset:
    """A graph (or a set of graphs): features, edges, labels and masks (PyG's Data, in NumPy).

    Dataset(x, edge_index, y=None, train_mask=None, val_mask=None, test_mask=None, edge_attr=None,
            graph_index=None, graph_y=None, normalize=False, sparse_threshold=0.1, name="arrays")
      x            [N, F] float32 or float64, or a scipy.sparse matrix
      edge_index   [2, E] integers: row 0 the sources j, row 1 the targets i of the edges j -> i
      y            [N] class ids, or [N, C] of 0/1 (multi-label); fit needs it
      *_mask       [N] bools; fit needs all three, each selecting at least one node
      edge_attr    [E, D] or [E] floats, row k the features of edge k
      graph_index  [N] integers: node i's graph, for a dataset of many graphs
      graph_y      [G] class ids of the graphs (graph classification, with graph_index; then no y nor masks)
      normalize    divide each row of x by max(row sum, 1), as gat-train does to the files it reads
      sparse_threshold  features this dense or sparser are kept as CSR (as the loader does)
    """

    def __init__(self, x, edge_index, y=None, train_mask=None, val_mask=None, test_mask=None, edge_attr=None,
                 graph_index=None, graph_y=None, normalize=False, sparse_threshold=0.1, name="arrays", *,
                 _handle=None):
        if _handle is not None:
            self._h = _handle
            return
        if x is None:
            raise ValueError("x: the node features are required")
        if edge_index is None:
            raise ValueError("edge_index: the edges are required")
        sparse = _sparse_members(x) if hasattr(x, "tocsr") and hasattr(x, "format") else None
        self._h = _gatgrad._dataset_from_arrays(
            None if sparse else _array(x, "x"), sparse, _array(edge_index, "edge_index"), _array(y, "y"),
            _array(train_mask, "train_mask"), _array(val_mask, "val_mask"), _array(test_mask, "test_mask"),
            _array(edge_attr, "edge_attr"), _array(graph_index, "graph_index"), _array(graph_y, "graph_y"), bool(normalize),
            float(sparse_threshold), str(name))

    # ---- what it holds ----
    name = property(lambda self: self._h.name)
    num_nodes = property(lambda self: self._h.num_nodes)
    num_edges = property(lambda self: self._h.num_edges)
    num_features = property(lambda self: self._h.num_features)
    num_classes = property(lambda self: self._h.num_classes)
    num_graphs = property(lambda self: self._h.num_graphs)
    edge_dim = property(lambda self: self._h.edge_dim)
    multilabel = property(lambda self: self._h.multilabel)
    normalized = property(lambda self: self._h.normalized, doc="whether x's rows were divided by their sums")
    is_sparse = property(lambda self: self._h.is_sparse)
    y = property(lambda self: self._h.y)
    train_mask = property(lambda self: self._h.train_mask)
    val_mask = property(lambda self: self._h.val_mask)
    test_mask = property(lambda self: self._h.test_mask)
    edge_index = property(lambda self: self._h.edge_index, doc="[2, E] int64, as given")
    edge_attr = property(lambda self: self._h.edge_attr)
    graph_index = property(lambda self: self._h.graph_index)
    graph_y = property(lambda self: self._h.graph_y, doc="[G] the graphs' classes (graph classification), or None")

    @property
    def x(self):
        """The features: a read-only view of gatgrad's dense [N, F] float32 (no copy), or a scipy CSR matrix."""
        if not self._h.is_sparse:
            return self._h.x_dense
        indptr, indices, data = self._h.x_csr
        try:
            import scipy.sparse
        except ImportError:
            return indptr, indices, data
        return scipy.sparse.csr_matrix((data, indices, indptr), shape=(self.num_nodes, self.num_features))

    def features(self):
        """The features as a first layer takes them (gatgrad.Features: dense or CSR), for dropout_matmul."""
        return self._h.features()

    def graph(self, self_loops=True):
        """The gatgrad.Graph of the edges; with self_loops (default) one loop per node, as GAT attends."""
        return self._h.graph(self_loops)

    def __repr__(self):
        form = "sparse" if self.is_sparse else "dense"
        graphs = f"{self.num_graphs} graphs, " if self.num_graphs else ""
        return (f"gatgrad.Dataset({self.name}: {graphs}{self.num_nodes} nodes, {self.num_edges} edges, "
                f"{self.num_features} features ({form}), {self.num_classes} classes)")


def load_dataset(path, normalize=None, sparse_threshold=0.1):
    """The dataset in directory `path` (x.npy or x.npz, y.npy, edge_index.npy, the masks; README's layout; or
    graph_index.npy with graph_y.npy), or a TU Dortmund folder (DS_A.txt, ...), read as gat-train reads them.
    normalize: rows divided by their sums; None is gat-train's choice, yes for node features of one graph, no
    for graph classification's. ValueError names the file."""
    import os
    if normalize is None:
        normalize = not os.path.exists(os.path.join(str(path), "graph_y.npy"))
    return Dataset(None, None, _handle=_gatgrad._load_dataset(str(path), bool(normalize), float(sparse_threshold)))


def motif_graphs(**options):
    """gat-train --task graph's built-in set (graph/synthetic_motifs.hpp): graphs whose class is whether two red
    nodes are adjacent, for graph classification. Options are MotifGraphOptions' fields: num_graphs, min_nodes,
    max_nodes, extra_edges, marked, noise_features, seed (gat-train --graphs N --seed S: num_graphs=N, seed=S)."""
    fields = dict(_gatgrad._motif_defaults())
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise TypeError(f"motif_graphs(): unknown option {unknown[0]!r}; the options are {', '.join(fields)}")
    fields.update(options)
    return Dataset(None, None, _handle=_gatgrad._motif_graphs(**fields))


def synthetic(**options):
    """gat-train's built-in graph (graph/synthetic.hpp, a contextual stochastic block model), dense float32
    features, never normalised. Options are CsbmOptions' fields: num_nodes, num_classes, avg_degree, num_edges,
    homophily, num_features, signal, seed, train_per_class, val_size, test_size, edge_dim, edge_flip."""
    fields = json.loads(_gatgrad._synthetic_defaults())
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise TypeError(f"synthetic(): unknown option {unknown[0]!r}; the options are {', '.join(fields)}")
    fields.update(options)
    return Dataset(None, None, _handle=_gatgrad._synthetic(json.dumps(fields)))


def from_pyg(data, normalize=False, sparse_threshold=0.1):
    """A Dataset from an object with PyG's attribute names (torch_geometric.data.Data, or anything alike):
    x, edge_index, and when present y, train_mask, val_mask, test_mask, edge_attr. Torch tensors are read
    through .numpy() (torch itself is never imported); a missing x or edge_index raises ValueError."""
    def get(name):
        value = getattr(data, name, None)
        if value is None and hasattr(data, "get") and not isinstance(data, type):
            try:
                value = data.get(name)
            except Exception:  # noqa: BLE001  an object whose get means something else
                value = None
        return value

    for required in ("x", "edge_index"):
        if get(required) is None:
            raise ValueError(f"{required}: the object has no '{required}' (PyG's Data names its node features x "
                             "and its edges edge_index)")
    return Dataset(get("x"), get("edge_index"), y=get("y"), train_mask=get("train_mask"), val_mask=get("val_mask"),
                   test_mask=get("test_mask"), edge_attr=get("edge_attr"), normalize=normalize,
                   sparse_threshold=sparse_threshold, name=type(data).__name__)
