"""gat-train's three tasks as estimators: GAT and GATv2 (node classification, models/gat.hpp),
LinkPredictor (link prediction, train/link_model.hpp) and GraphClassifier (graph classification by
cross-validation, train/cross_validation.hpp). Hyper-parameters as keyword arguments, fit / predict /
evaluate, and checkpoints in gat-train's format (gat-train --load reads what save writes, and
gatgrad.load what gat-train --save writes).

The keyword arguments are the fields of the C++ configurations (models/presets.hpp), by their C++ names:
  the model (GATConfig):     layers, hidden, heads, out_heads, dropout, attn_dropout, negative_slope,
                             add_self_loops, residual, share_weights, edge_fill, seed; link prediction's
                             embedding_dim, decoder, mlp_hidden; graph classification's readout, mlp_hidden
  training (TrainConfig):    max_epochs (or epochs), patience, lr, weight_decay, beta1, beta2, eps,
                             batch_size, fanout, micro_batches, eval_chunk, node_order, graphs_per_batch,
                             hits_k, folds
A field of another task raises TypeError naming the tasks it is for (as gat-train refuses
'--decoder' with --task node). The model's sizes (in_features, num_classes, edge_dim) come from the data.
"""
import json
import sys
import time

from . import _gatgrad
from ._progress import progress_bar

_SIZES = ("in_features", "num_classes", "edge_dim", "normalize_features", "task")

# The fields that apply to some tasks only: gat-train's option rows (apps/lib/config_options.cpp,
# their tasks column; embedding_dim has no option and is link prediction's). test_models checks this
# table against gat-train --help.
_FIELD_TASKS = {
    "out_heads": ("node", "link"), "batch_size": ("node", "link"), "fanout": ("node", "link"),
    "micro_batches": ("node",), "node_order": ("node",), "graphs_per_batch": ("node", "graph"),
    "decoder": ("link",), "hits_k": ("link",), "embedding_dim": ("link",), "readout": ("graph",), "mlp_hidden": ("link", "graph"), "folds": ("graph",),
}
_TASK_CLASS = {"node": "gatgrad.GAT / GATv2", "link": "gatgrad.LinkPredictor", "graph": "gatgrad.GraphClassifier"}


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


def _check_task(kwargs, task, what):
    for name in kwargs:
        tasks = _FIELD_TASKS.get("max_epochs" if name == "epochs" else name)
        if tasks is not None and task not in tasks:
            raise TypeError(f"{what}: {name!r} is for {' and '.join(_TASK_CLASS[t] for t in tasks)} "
                            f"({' or '.join(tasks)} tasks), not {_TASK_CLASS[task]}")


class _Estimator:
    """What the three tasks share: the configuration from keyword arguments or a preset, the training
    options, parameters and checkpoints. A subclass sets _task, _default_preset and _native (the extension's
    class), and may set _kind (the attention, fixed by the class) and _extra (its own arguments, not fields)."""
    _task = "node"
    _default_preset = None  # None: GATConfig / TrainConfig's defaults
    _kind = None            # None: the `model` argument chooses gat or gatv2
    _extra = ()

    def __init__(self, **kwargs):
        if self._default_preset is None:
            model_json, train_json = _gatgrad._defaults()
        else:
            model_json, train_json = _gatgrad._preset(self._default_preset)
        self._init(_fields(model_json), _fields(train_json), kwargs)

    def _init(self, model_fields, train_fields, kwargs):
        name = type(self).__name__
        extra = {k: kwargs.pop(k) for k in self._extra if k in kwargs}
        train_kwargs = {k: v for k, v in kwargs.items() if k in train_fields or k == "epochs"}
        model_kwargs = {k: v for k, v in kwargs.items() if k not in train_kwargs}
        fixed = sorted(k for k in model_kwargs if k in _SIZES or (k == "model" and self._kind is not None))
        if fixed:
            raise TypeError(f"{name}(): {fixed[0]!r} is not an argument (the data gives the sizes, "
                            "the class the model and the task)")
        _check_task(kwargs, self._task, f"{name}()")
        config = _merge(model_fields, model_kwargs, f"{name}()")
        config["task"] = self._task
        if self._kind is not None:
            config["model"] = self._kind
        config["in_features"] = config["num_classes"] = 1  # placeholders: the first fit sizes the model
        self._m = self._make_native(json.dumps(config), **extra)
        self._train = train_fields
        self._train = self._train_config(train_kwargs, "the model's training arguments")
        self._fanout_given = "fanout" in train_kwargs
        self.history_ = None  # the last fit's history
        self.result_ = None   # the last fit's summary

    def _make_native(self, config_json):
        return self._native(config_json)

    @classmethod
    def preset(cls, name, **kwargs):
        """The preset `name`'s hyper-parameters (gat-train --preset: gatgrad.presets() lists them) for the model and
        its training, with any field overridden by keyword. A preset of another task raises ValueError."""
        model_json, train_json = _gatgrad._preset(name)
        model = _fields(model_json)
        if model["task"] != cls._task:
            raise ValueError(f"preset {name!r} is for the {model['task']} task: {_TASK_CLASS[model['task']]}.preset"
                             f"({name!r}), not {cls.__name__}")
        self = cls.__new__(cls)
        self._init(model, _fields(train_json), kwargs)
        return self

    def _train_config(self, overrides, what):
        overrides = dict(overrides)
        _check_task(overrides, self._task, what)
        if "epochs" in overrides:
            overrides["max_epochs"] = overrides.pop("epochs")
        config = _merge(self._train, overrides, what)
        _gatgrad._check_train_config(json.dumps(config))  # ValueError naming a bad field
        return config

    def _fit_config(self, train_options):
        """The training options of a fit: the model's, train_options over them, the fanout one entry per layer."""
        config = self._train_config(train_options, "fit()")
        if not (self._fanout_given or "fanout" in train_options):  # as gat-train: the last entry repeated per layer
            layers = self.config["layers"]
            config["fanout"] = (config["fanout"] + config["fanout"][-1:] * layers)[:layers]
        return config

    def _run(self, fit, epochs, progress, callback, score):
        """fit(on_epoch) with the progress bar (of `epochs` at most) and the callback on each epoch; its result
        with wall_seconds."""
        bar = progress_bar(epochs, progress, score)

        def on_epoch(stats):
            bar.update(stats)
            if callback is not None:
                callback(stats)

        started = time.perf_counter()
        try:
            result = fit(on_epoch)
        finally:
            bar.close()
        result["wall_seconds"] = time.perf_counter() - started
        return result

    @staticmethod
    def _lists(epochs, score):
        """A history's epochs (dicts) as a dict of lists."""
        keys = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_" + score, "step_ms")
        return {key: [e[key] for e in epochs] for key in keys}

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

    def save(self, path):
        """A checkpoint directory in gat-train's format (config.json and one .npy per parameter), written atomically."""
        self._m.save(str(path))


class _AttentionModel(_Estimator):
    _task = "node"
    _native = _gatgrad._Model

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
        config = self._fit_config(train_options)
        result = self._run(lambda on_epoch: self._m.fit(data._h, json.dumps(config), on_epoch), config["max_epochs"],
                           progress, callback, "accuracy")
        history = self._lists(result.pop("history"), "accuracy")
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

class GAT(_AttentionModel):
    """The GAT of Veličković et al. (2018): L attention layers (PyG's GATConv stacked as in the paper)."""
    _kind = "gat"


class GATv2(_AttentionModel):
    """GATv2 (Brody et al., 2022): the attention of GATv2Conv in every layer."""
    _kind = "gatv2"


class LinkPredictor(_Estimator):
    """Link prediction with a GAT encoder (gat-train --task link; PyG's examples/link_pred.py with GATConv):
    the encoder embeds every node (embedding_dim features), the decoder scores a pair (decoder="dot" or "mlp"),
    binary cross-entropy against fresh negatives each epoch, early stopping on the validation ROC-AUC.
    fit splits data's edges as PyG's RandomLinkSplit does (val_fraction, test_fraction of the undirected
    pairs, one fixed negative each; the split's seed is the model's, as gat-train's). Starts from the
    "link" preset, as gat-train --task link does; model="gatv2" for GATv2's attention."""
    _task = "link"
    _default_preset = "link"
    _native = _gatgrad._LinkModel
    _extra = ("val_fraction", "test_fraction")

    def _make_native(self, config_json, val_fraction=0.05, test_fraction=0.1):
        return self._native(config_json, float(val_fraction), float(test_fraction))

    def fit(self, data, progress=True, callback=None, **train_options):
        """Splits data's edges (once per dataset and split), trains (batch_size > 0: mini-batches of that many
        positive pairs, PyG's LinkNeighborLoader) and evaluates validation and test at the kept parameters.
        progress, callback and Ctrl-C as GAT.fit. Returns the history as a dict of lists: epoch, train_loss,
        train_accuracy (pairs on the right side of 0), val_loss, val_auc, step_ms. self.result_ holds
        best_epoch, epochs_run and val_/test_ loss, auc, ap, hits@K (K = hits_k) and mrr."""
        config = self._fit_config(train_options)
        result = self._run(lambda on_epoch: self._m.fit(data._h, json.dumps(config), on_epoch), config["max_epochs"],
                           progress, callback, "auc")
        history = self._lists(result.pop("history"), "auc")
        self.history_, self.result_ = history, result
        self._hits_k = config["hits_k"]
        if progress:
            k = config["hits_k"]
            print(f"best_epoch={result['best_epoch']} epochs_run={result['epochs_run']} val_auc={result['val_auc']:.4f} "
                  f"test_auc={result['test_auc']:.4f} test_ap={result['test_ap']:.4f} "
                  f"test_hits@{k}={result[f'test_hits@{k}']:.4f} test_mrr={result['test_mrr']:.4f}", file=sys.stderr)
        return history

    def evaluate(self, data, hits_k=None):
        """Every metric of data's validation and test pairs (val_/test_ loss, auc, ap, hits@K, mrr) at the model's
        parameters, over the split fit makes (gat-train --task link --load --eval-only)."""
        k = hits_k if hits_k is not None else getattr(self, "_hits_k", self._train["hits_k"])
        return dict(self._m.evaluate(data._h, int(k)))

    def predict(self, data, pairs):
        """The logits (float32 [P]; > 0 means a link) of node pairs [P, 2] (u, v) over the test-time graph, the
        training and validation edges of data's split (gat-train --task link --predict-out --pairs)."""
        import numpy as np
        return self._m.predict(data._h, np.asarray(pairs))

    @property
    def split(self):
        """(val_fraction, test_fraction) of the edge split."""
        return tuple(self._m.split)


class GraphClassifier(_Estimator):
    """Graph classification (gat-train --task graph): GAT layers, a readout (readout="mean", "sum", "max" or
    "attention") and an MLP (mlp_hidden wide), trained by stratified K-fold cross-validation (folds) on batches
    of graphs_per_batch whole graphs, early stopping on each fold's validation accuracy. Starts from the "tu"
    preset, as gat-train --task graph does; model="gatv2" for GATv2's attention. The data: gatgrad.Dataset
    with graph_index and graph_y, a TU Dortmund folder (gatgrad.load_dataset), or gatgrad.motif_graphs()."""
    _task = "graph"
    _default_preset = "tu"
    _native = _gatgrad._GraphModel

    def fit(self, data, progress=True, callback=None, **train_options):
        """The K folds one after the other (a fresh model each, the model's seed); each fold's model is kept
        at its best parameters. progress and callback as GAT.fit (each epoch's dict has its fold, 0-based);
        Ctrl-C ends the run and raises, the model keeping what it had before this fit.

        Returns the histories, one dict of lists per fold (epoch, train_loss, train_accuracy, val_loss,
        val_accuracy, step_ms). self.result_ holds mean_test_accuracy, std_test_accuracy and, per fold,
        test_accuracy, val_accuracy, best_epoch and epochs_run (gat-train --metrics-json's fields)."""
        config = self._fit_config(train_options)
        result = self._run(lambda on_epoch: self._m.fit(data._h, json.dumps(config), on_epoch),
                           config["max_epochs"] * config["folds"], progress, callback, "accuracy")
        histories = [self._lists(h, "accuracy") for h in result.pop("history")]
        self.history_, self.result_ = histories, result
        if progress:
            print(f"folds={result['folds']} mean_test_accuracy={result['mean_test_accuracy']:.4f} "
                  f"std_test_accuracy={result['std_test_accuracy']:.4f}", file=sys.stderr)
        return histories

    @property
    def num_folds(self):
        """How many fold models the model holds (0 before fit)."""
        return self._m.num_folds

    def evaluate(self, data):
        """Each fold's val and test accuracy on data's folds (the model's seed) at the models' parameters, and
        their mean and standard deviation (gat-train --task graph --load --eval-only)."""
        return dict(self._m.evaluate(data._h))

    def predict(self, data, fold=0):
        """The logits [G, C] (float32) of every graph of data by fold `fold`'s model (evaluation mode)."""
        return self._m.predict(data._h, int(fold))

    def parameters(self, fold=0):
        """{dotted name: gatgrad.Tensor} of fold `fold`'s model (conv1.weight, ..., mlp2.bias)."""
        return dict(self._m.named_parameters(int(fold)))

    def save(self, path):
        """One checkpoint per fold, path/fold_1 .. path/fold_K, as gat-train --task graph --save writes them."""
        self._m.save(str(path))


def load(path):
    """The model saved in checkpoint directory `path` (by model.save or gat-train --save): a GAT or GATv2, a
    LinkPredictor, or a GraphClassifier (path/fold_1 .. path/fold_K)."""
    path = str(path)
    task = _gatgrad._checkpoint_task(path)
    if task == "link":
        m, cls = _gatgrad._LinkModel.load(path), LinkPredictor
    elif task == "graph":
        m, cls = _gatgrad._GraphModel.load(path), GraphClassifier
    else:
        m = _gatgrad._Model.load(path)
        cls = GATv2 if _fields(m.config_json)["model"] == "gatv2" else GAT
    self = cls.__new__(cls)
    self._m = m
    self._train = _fields(_gatgrad._defaults()[1] if cls._default_preset is None
                          else _gatgrad._preset(cls._default_preset)[1])
    self._fanout_given = False
    self.history_ = None
    self.result_ = None
    return self
