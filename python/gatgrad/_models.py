"""GAT and GATv2 (models/gat.hpp): hyper-parameters as keyword arguments, fit / predict / attention,
and checkpoints in gat-train's format (gat-train --load reads what save writes, and gatgrad.load what
gat-train --save writes).

The keyword arguments are the fields of the C++ configurations (models/presets.hpp), by their C++ names:
  the model (GATConfig):     layers, hidden, heads, out_heads, dropout, attn_dropout, negative_slope,
                             add_self_loops, residual, share_weights, edge_fill, seed
  training (TrainConfig):    max_epochs (or epochs), patience, lr, weight_decay, beta1, beta2, eps,
                             batch_size, fanout, micro_batches, eval_chunk, graphs_per_batch
The model's sizes (in_features, num_classes, edge_dim) come from the data at the first fit.
"""
import json
import sys
import time

from . import _gatgrad
from ._progress import progress_bar

_SIZES = ("in_features", "num_classes", "edge_dim", "normalize_features", "model")


def _fields(json_text):
    return json.loads(json_text)


def presets():
    """The names gatgrad.GAT.preset accepts: the paper's settings per dataset."""
    return list(_gatgrad._preset_names())


def _merge(defaults, overrides, what):
    unknown = sorted(k for k in overrides if k not in defaults)
    if unknown:
        raise TypeError(f"{what}: unknown argument {unknown[0]!r}; the arguments are {', '.join(sorted(defaults))}")
    merged = dict(defaults)
    merged.update(overrides)
    return merged


class _AttentionModel:
    _kind = "gat"

    def __init__(self, **kwargs):
        model_defaults, train_defaults = (_fields(t) for t in _gatgrad._defaults())
        self._init(model_defaults, train_defaults, kwargs)

    def _init(self, model_fields, train_fields, kwargs):
        train_kwargs = {k: v for k, v in kwargs.items() if k in train_fields or k == "epochs"}
        model_kwargs = {k: v for k, v in kwargs.items() if k not in train_kwargs}
        fixed = sorted(k for k in model_kwargs if k in _SIZES)
        if fixed:
            raise TypeError(f"{type(self).__name__}(): {fixed[0]!r} is not an argument (the data gives the sizes, "
                            "the class the model)")
        config = _merge(model_fields, model_kwargs, f"{type(self).__name__}()")
        config["model"] = self._kind
        config["in_features"] = config["num_classes"] = 1  # placeholders: the first fit sizes the model
        self._m = _gatgrad._Model(json.dumps(config))
        self._train = train_fields
        self._train = self._train_config(train_kwargs, "the model's training arguments")
        self._fanout_given = "fanout" in train_kwargs
        self.history_ = None  # the last fit's history
        self.result_ = None   # the last fit's summary: best_epoch, epochs_run, val/test loss and accuracy, ...

    @classmethod
    def preset(cls, name, **kwargs):
        """The paper's hyper-parameters for a dataset ("cora", "citeseer", "pubmed", "ppi"; gat-train --preset),
        for the model and its training, with any field overridden by keyword."""
        model_json, train_json = _gatgrad._preset(name)
        self = cls.__new__(cls)
        self._init(_fields(model_json), _fields(train_json), kwargs)
        return self

    def _train_config(self, overrides, what):
        overrides = dict(overrides)
        if "epochs" in overrides:
            overrides["max_epochs"] = overrides.pop("epochs")
        config = _merge(self._train, overrides, what)
        _gatgrad._check_train_config(json.dumps(config))  # ValueError naming a bad field
        return config

    # ---- what it is ----
    @property
    def config(self):
        """The model's configuration (GATConfig's fields), as a checkpoint's config.json holds it."""
        return _fields(self._m.config_json)

    @property
    def train_config(self):
        """The training options fit uses unless told otherwise (TrainConfig's fields)."""
        return dict(self._train)

    def parameters(self):
        """{dotted name: gatgrad.Tensor} of the trained model (conv1.weight, ...; numpy() views them)."""
        return dict(self._m.named_parameters())

    def __repr__(self):
        c = self.config
        return (f"gatgrad.{type(self).__name__}(layers={c['layers']}, heads={c['heads']}, hidden={c['hidden']}, "
                f"out_heads={c['out_heads']}, dropout={c['dropout']}{', built' if self._m.built else ''})")

    # ---- training and use ----
    def fit(self, data, progress=True, callback=None, **train_options):
        """Trains on data's train_mask with early stopping on val_mask (the authors' rule, patience epochs),
        then keeps the best parameters. train_options override the model's training options (TrainConfig's
        fields; epochs = max_epochs). progress: a tqdm bar when tqdm is importable, else a line every 10 epochs;
        False for none. callback(epoch_stats_dict) runs after every epoch. Ctrl-C (or an exception in callback)
        ends the run after the current epoch, leaves the best parameters so far in the model and raises.
        A first fit sizes the model from the data; a later one continues from the current parameters.

        Returns the history as a dict of lists: epoch, train_loss, train_accuracy, val_loss, val_accuracy,
        step_ms (accuracy is micro-F1 on multi-label data). self.result_ holds the run's summary, its
        test_accuracy included."""
        config = self._train_config(train_options, "fit()")
        if not (self._fanout_given or "fanout" in train_options):  # as gat-train: the last entry repeated per layer
            layers = self.config["layers"]
            config["fanout"] = (config["fanout"] + config["fanout"][-1:] * layers)[:layers]
        bar = progress_bar(config["max_epochs"], progress)

        def on_epoch(stats):
            bar.update(stats)
            if callback is not None:
                callback(stats)

        started = time.perf_counter()
        try:
            result = self._m.fit(data._h, json.dumps(config), on_epoch)
        finally:
            bar.close()
        result["wall_seconds"] = time.perf_counter() - started
        epochs = result.pop("history")
        history = {key: [e[key] for e in epochs]
                   for key in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "step_ms")}
        self.history_, self.result_ = history, result
        if progress:
            score = "micro_f1" if data.multilabel else "accuracy"
            print(f"best_epoch={result['best_epoch']} epochs_run={result['epochs_run']} "
                  f"val_{score}={result['val_accuracy']:.4f} test_{score}={result['test_accuracy']:.4f}",
                  file=sys.stderr)
        return history

    def predict(self, data):
        """The logits [N, C] (float32 ndarray) of every node, in evaluation mode (no dropout)."""
        return self._m.predict(data._h)

    def evaluate(self, data, mask="test_mask"):
        """{"loss", "accuracy"} (micro_f1 on multi-label data) on the nodes of one of data's masks (its name)
        or of a bool array, as the trainer evaluates."""
        import numpy as np
        selected = getattr(data, mask) if isinstance(mask, str) else np.asarray(mask)
        return self._m.evaluate(data._h, np.flatnonzero(selected))

    def attention(self, data):
        """Per layer, (edge_index [2, E] int64, alpha [E, heads] float32) over the graph the layer attends
        (one self-loop per node added), like PyG's return_attention_weights=True; edge e of both the same."""
        return list(self._m.attention(data._h))

    def save(self, path):
        """A checkpoint directory in gat-train's format (config.json and one .npy per parameter), written atomically."""
        self._m.save(str(path))


class GAT(_AttentionModel):
    """The GAT of Veličković et al. (2018): L attention layers (PyG's GATConv stacked as in the paper)."""
    _kind = "gat"


class GATv2(_AttentionModel):
    """GATv2 (Brody et al., 2022): the attention of GATv2Conv in every layer."""
    _kind = "gatv2"


def load(path):
    """The model saved in checkpoint directory `path` (by model.save or gat-train --save), a GAT or GATv2."""
    m = _gatgrad._Model.load(str(path))
    cls = GATv2 if _fields(m.config_json)["model"] == "gatv2" else GAT
    self = cls.__new__(cls)
    self._m = m
    self._train = _fields(_gatgrad._defaults()[1])
    self._fanout_given = False
    self.history_ = None
    self.result_ = None
    return self
