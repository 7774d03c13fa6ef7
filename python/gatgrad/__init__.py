"""gatgrad from Python: NumPy in, NumPy out, over gatgrad's C++ library (docs/python.md).

    import gatgrad
    data = gatgrad.load_dataset("../shared/datasets/cora")      # or gatgrad.Dataset(x, edge_index, y=..., ...)
    model = gatgrad.GAT.preset("cora")
    history = model.fit(data)                                    # dict of lists, one entry per epoch
    logits = model.predict(data)                                 # ndarray [N, C]
    (edge_index, alpha), *_ = model.attention(data)              # per layer, like PyG's return_attention_weights

gat-train's other tasks: gatgrad.LinkPredictor (--task link) and gatgrad.GraphClassifier (--task graph).

The tensors and the tape are here too (gatgrad.Tensor, the ops, backward): docs/python.md
writes docs/custom-model.md's GCN with them.
"""
from . import _gatgrad
from ._gatgrad import (  # noqa: F401  the C++ API, under its C++ names
    Tensor, Graph, Features, Optimizer, SGD, Adam, AdamW, TrainingDiverged, no_grad,
    add, sub, mul, div, neg, exp, log, sqrt, pow, relu, leaky_relu, elu, sigmoid, tanh, matmul, reshape,
    transpose, concat, slice, index_select, softmax, log_softmax, dropout, cross_entropy,
    binary_cross_entropy_with_logits, backward, tape_size, tape_clear, tape_op_names, grad_enabled,
    gather, scatter_add, scatter_mean, scatter_max, segment_softmax, head_dot, edge_add, aggregate,
    edges_in_input_order, derive_key, glorot_uniform, accuracy, dropout_matmul, isa, set_num_threads,
    num_threads,
)
from ._data import Dataset, from_pyg, load_dataset, motif_graphs, synthetic  # noqa: F401
from ._models import GAT, GATv2, GraphClassifier, LinkPredictor, load, presets  # noqa: F401

__version__ = _gatgrad.__version__
