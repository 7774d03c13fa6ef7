# gat-train's other two tasks from Python: gatgrad.LinkPredictor (--task link) and
# gatgrad.GraphClassifier (--task graph). Each is compared with gat-train on the same synthetic
# data, configuration and seed: the same loss curve, metrics and trained parameters, to the bit;
# checkpoints cross both ways; a field of another task and bad input raise Python exceptions.
# To add a case: a test_* function here, kept to a second or two (few epochs, small graphs).
import json
import re
import subprocess

import numpy as np
import pytest

import gatgrad as gg
from gatgrad._models import _FIELD_TASKS
from conftest import build_program


def run(program, *args):
    return subprocess.run([str(program), *map(str, args)], check=True, capture_output=True, text=True).stdout


def same_parameters(a, b):
    pa, pb = a.items(), b.items()
    assert [name for name, _ in pa] == [name for name, _ in pb]
    for (name, x), (_, y) in zip(pa, pb):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)


# ---- link prediction ----

def link_graph():
    return gg.synthetic(num_features=16, seed=2)  # gat-train --features 16 --seed 2 (2000 nodes, 10000 edges)


def test_link_prediction_follows_gat_train(tmp_path):
    gat_train = build_program("gat-train")
    run(gat_train, "--task", "link", "--features", 16, "--seed", 2, "--epochs", 6, "--threads", 2,
        "--quiet", "--metrics-json", tmp_path / "m.json", "--save", tmp_path / "cpp")
    reference = json.loads((tmp_path / "m.json").read_text())
    d = link_graph()
    m = gg.LinkPredictor(seed=2)
    history = m.fit(d, epochs=6, progress=False)
    assert history["train_loss"] == reference["train_loss"]  # the same loop, the same bits
    assert history["val_loss"] == reference["val_loss"]
    assert history["val_auc"] == reference["val_auc_curve"]
    for key in ("test_auc", "val_auc", "test_ap", "test_hits@50", "test_mrr", "best_epoch", "epochs_run"):
        assert m.result_[key] == reference[key], key
    cpp = gg.load(tmp_path / "cpp")
    assert isinstance(cpp, gg.LinkPredictor)
    same_parameters(m.parameters(), cpp.parameters())
    assert m.evaluate(d)["test_auc"] == reference["test_auc"]


def test_link_checkpoint_and_pair_scores_match_gat_train(tmp_path):
    gat_train = build_program("gat-train")
    d = link_graph()
    m = gg.LinkPredictor(seed=2, decoder="mlp", mlp_hidden=16)
    m.fit(d, epochs=3, progress=False)
    m.save(tmp_path / "py")
    pairs = np.array([[0, 1], [5, 17], [1999, 3], [42, 42]])
    np.save(tmp_path / "pairs.npy", pairs)
    out = run(gat_train, "--task", "link", "--features", 16, "--seed", 2, "--load", tmp_path / "py",
              "--eval-only", "--predict-out", tmp_path / "scores.npy", "--pairs", tmp_path / "pairs.npy")
    scores = m.predict(d, pairs)
    assert scores.shape == (4,) and scores.dtype == np.float32
    np.testing.assert_array_equal(np.load(tmp_path / "scores.npy"), scores)
    assert f"test_auc={m.result_['test_auc']:.4f}" in out
    again = gg.load(tmp_path / "py")
    np.testing.assert_array_equal(again.predict(d, pairs), scores)


def test_link_errors_are_python_exceptions():
    d = link_graph()
    with pytest.raises(RuntimeError, match="fit it"):
        gg.LinkPredictor().predict(d, [[0, 1]])
    with pytest.raises(TypeError, match="'readout' is for gatgrad.GraphClassifier"):
        gg.LinkPredictor(readout="sum")
    with pytest.raises(TypeError, match="'decoder' is for gatgrad.LinkPredictor"):
        gg.GAT(decoder="mlp")
    with pytest.raises(TypeError, match="'micro_batches' is for gatgrad.GAT"):
        gg.LinkPredictor().fit(d, micro_batches=2)
    with pytest.raises(ValueError, match=r"preset 'link' is for the link task: gatgrad.LinkPredictor.preset"):
        gg.GAT.preset("link")
    with pytest.raises(ValueError, match="val_fraction, test_fraction"):
        gg.LinkPredictor(val_fraction=0.5, test_fraction=0.5)
    m = gg.LinkPredictor(seed=1, hidden=4, heads=2, embedding_dim=8)
    m.fit(d, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"pairs: pair 1 has node 2000, out of range \[0, 2000\)"):
        m.predict(d, [[0, 1], [2000, 2]])
    with pytest.raises(ValueError, match=r"pairs: expected node pairs of shape \(P, 2\)"):
        m.predict(d, [0, 1, 2])
    with pytest.raises(ValueError, match="16 features"):
        m.predict(gg.synthetic(num_features=8), [[0, 1]])


def test_link_mini_batches_train():
    d = link_graph()
    m = gg.LinkPredictor(seed=3, hidden=4, heads=2, embedding_dim=8)
    history = m.fit(d, epochs=2, batch_size=256, fanout=[5, 5], progress=False)
    assert history["epoch"] == [1, 2] and 0 <= m.result_["test_auc"] <= 1


# ---- graph classification ----

def test_graph_classification_follows_gat_train(tmp_path):
    gat_train = build_program("gat-train")
    run(gat_train, "--task", "graph", "--graphs", 40, "--seed", 1, "--epochs", 4, "--folds", 3, "--threads", 2,
        "--quiet", "--metrics-json", tmp_path / "m.json", "--save", tmp_path / "cpp")
    reference = json.loads((tmp_path / "m.json").read_text())
    d = gg.motif_graphs(num_graphs=40, seed=1)
    assert (d.num_graphs, d.num_classes) == (40, 2) and list(d.graph_y[:4]) == [0, 1, 0, 1]
    m = gg.GraphClassifier(seed=1)
    histories = m.fit(d, epochs=4, folds=3, progress=False)
    assert len(histories) == 3 and all(h["epoch"][0] == 1 for h in histories)
    for key in ("test_accuracy", "val_accuracy", "best_epoch", "epochs_run", "mean_test_accuracy",
                "std_test_accuracy"):
        assert m.result_[key] == reference[key], key
    cpp = gg.load(tmp_path / "cpp")
    assert isinstance(cpp, gg.GraphClassifier) and cpp.num_folds == 3
    for fold in range(3):  # every fold's trained parameters, to the bit
        same_parameters(m.parameters(fold), cpp.parameters(fold))
        np.testing.assert_array_equal(m.predict(d, fold), cpp.predict(d, fold))
    assert m.evaluate(d)["test_accuracy"] == reference["test_accuracy"]


def test_graph_checkpoints_from_python_evaluate_in_gat_train(tmp_path):
    gat_train = build_program("gat-train")
    d = gg.motif_graphs(num_graphs=30, seed=4)
    m = gg.GraphClassifier(seed=4, readout="attention", hidden=8, heads=2)
    m.fit(d, epochs=3, folds=2, progress=False)
    logits = m.predict(d, 1)
    assert logits.shape == (30, 2) and logits.dtype == np.float32
    m.save(tmp_path / "py")
    out = run(gat_train, "--task", "graph", "--graphs", 30, "--seed", 4, "--folds", 2, "--load", tmp_path / "py",
              "--eval-only")
    assert f"mean_test_accuracy={m.result_['mean_test_accuracy']:.4f}" in out


def test_graph_classification_from_arrays_and_its_errors():
    d = gg.motif_graphs(num_graphs=20, seed=0)
    arrays = gg.Dataset(d.x, d.edge_index, graph_index=d.graph_index, graph_y=d.graph_y)
    a = gg.GraphClassifier(seed=0, hidden=4, heads=2).fit(arrays, epochs=2, folds=2, progress=False)
    b = gg.GraphClassifier(seed=0, hidden=4, heads=2).fit(d, epochs=2, folds=2, progress=False)
    for x, y in zip(a, b):  # the same graphs from NumPy arrays, the same runs
        assert {k: v for k, v in x.items() if k != "step_ms"} == {k: v for k, v in y.items() if k != "step_ms"}
    with pytest.raises(ValueError, match="graph_y"):
        gg.Dataset(d.x, d.edge_index, graph_index=d.graph_index, graph_y=d.graph_y[:5])
    with pytest.raises(ValueError, match="graph classification needs graph classes"):
        gg.GraphClassifier().fit(link_graph(), progress=False)
    with pytest.raises(TypeError, match="'batch_size' is for gatgrad.GAT / GATv2 and gatgrad.LinkPredictor"):
        gg.GraphClassifier(batch_size=8)
    with pytest.raises(TypeError, match="'folds' is for gatgrad.GraphClassifier"):
        gg.GAT().fit(link_graph(), folds=3)
    with pytest.raises(RuntimeError, match="fit it"):
        gg.GraphClassifier().predict(d)
    m = gg.GraphClassifier(seed=0, hidden=4, heads=2)
    m.fit(d, epochs=1, folds=2, progress=False)
    with pytest.raises(ValueError, match="fold: 2 is not a fold"):
        m.predict(d, fold=2)


def test_the_tasks_of_the_fields_are_gat_trains():
    """_FIELD_TASKS against gat-train --help, whose rows say '--task node or link: ...' for such options."""
    gat_train = build_program("gat-train")
    text = run(gat_train, "--help")
    help_tasks = {}
    for option, tasks in re.findall(r"^\s+(--[a-z-]+)[^\n]*?\s--task ([a-z]+(?:(?:, | or )[a-z]+)*):", text, re.M):
        field = {"--epochs": "max_epochs", "--no-normalize": "normalize_features"}.get(option, option[2:].replace("-", "_"))
        help_tasks[field] = tuple(re.split(", | or ", tasks))
    fields = set().union(*(json.loads(t) for t in gg._gatgrad._defaults()))
    help_tasks = {k: v for k, v in help_tasks.items() if k in fields}  # (--predict-out's help says '--task link:')
    help_tasks.pop("normalize_features", None)  # the data's preprocessing: Dataset(normalize=...), not a field
    listed = {k: v for k, v in _FIELD_TASKS.items() if k != "embedding_dim"}  # (no option)
    assert help_tasks == listed
