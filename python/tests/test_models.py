# GAT / GATv2 from Python: the keyword arguments are the C++ fields, fit runs gat-train's loop
# (the same curve as gat-train on the same data), predict / attention / evaluate, checkpoints both
# ways between Python and gat-train, Ctrl-C, and errors as exceptions.
import json
import os
import signal
import subprocess

import numpy as np
import pytest

import gatgrad as gg
from conftest import build_program


def small_graph():
    return gg.synthetic(num_nodes=300, num_features=16, num_classes=3, seed=1, val_size=100, test_size=100)


def test_keyword_arguments_are_the_config_fields():
    m = gg.GAT(heads=4, hidden=6, dropout=0.5, epochs=7, lr=0.01)
    assert (m.config["heads"], m.config["hidden"], m.config["dropout"], m.config["model"]) == (4, 6, 0.5, "gat")
    assert (m.train_config["max_epochs"], m.train_config["lr"]) == (7, 0.01)
    with pytest.raises(TypeError, match="'head'"):
        gg.GAT(head=4)
    with pytest.raises(TypeError, match="in_features"):
        gg.GAT(in_features=3)
    p = gg.GAT.preset("pubmed", seed=5)
    assert p.config["out_heads"] == 8 and p.config["seed"] == 5 and p.train_config["lr"] == 0.01
    assert gg.GATv2.preset("cora").config["model"] == "gatv2"
    with pytest.raises(ValueError, match="preset"):
        gg.GAT.preset("karate")


def test_fit_predict_attention_evaluate():
    d = small_graph()
    m = gg.GAT(heads=2, hidden=4, seed=0)
    history = m.fit(d, epochs=15, progress=False)
    assert set(history) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "step_ms"}
    assert history["epoch"] == list(range(1, 16))
    assert history["train_loss"][-1] < history["train_loss"][0]
    logits = m.predict(d)
    assert logits.shape == (300, 3) and logits.dtype == np.float32
    test = m.evaluate(d)
    assert test["accuracy"] == pytest.approx(m.result_["test_accuracy"])
    assert test["accuracy"] == pytest.approx((logits.argmax(1) == d.y)[d.test_mask].mean())
    layers = m.attention(d)
    assert len(layers) == 2
    for edge_index, alpha in layers:
        assert edge_index.shape == (2, d.num_edges + 300) and alpha.shape[0] == edge_index.shape[1]
        sums = np.zeros((300, alpha.shape[1]))
        np.add.at(sums, edge_index[1], alpha)  # softmax over each node's incoming edges
        np.testing.assert_allclose(sums, 1, rtol=1e-5)
    assert layers[0][1].shape[1] == 2 and layers[1][1].shape[1] == 1


def test_fit_follows_gat_train_on_the_same_data(tmp_path):
    gat_train = build_program("gat-train")
    d = small_graph()
    for name in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        np.save(tmp_path / f"{name}.npy", getattr(d, name))
    metrics = tmp_path / "metrics.json"
    subprocess.run([gat_train, "--data", tmp_path, "--no-normalize", "--epochs", "8", "--heads", "2", "--hidden", "4",
                    "--seed", "3", "--threads", "2", "--quiet", "--metrics-json", metrics], check=True)
    reference = json.loads(metrics.read_text())
    m = gg.GAT(heads=2, hidden=4, seed=3)
    history = m.fit(d, epochs=8, progress=False)
    assert history["train_loss"] == reference["train_loss"]  # the same loop, the same bits
    assert history["val_loss"] == reference["val_loss"]
    assert m.result_["test_accuracy"] == reference["test_accuracy"]


def test_checkpoints_cross_between_python_and_gat_train(tmp_path):
    d = small_graph()
    m = gg.GATv2(heads=2, hidden=4, seed=2)
    m.fit(d, epochs=5, progress=False)
    m.save(tmp_path / "ckpt")
    again = gg.load(tmp_path / "ckpt")
    assert isinstance(again, gg.GATv2)
    np.testing.assert_array_equal(again.predict(d), m.predict(d))
    gat_train = build_program("gat-train")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        np.save(data_dir / f"{name}.npy", getattr(d, name))
    out = subprocess.run([gat_train, "--data", data_dir, "--no-normalize", "--load", tmp_path / "ckpt", "--eval-only",
                          "--predict-out", tmp_path / "logits.npy"], check=True, capture_output=True, text=True).stdout
    assert f"test_accuracy={m.evaluate(d)['accuracy']:.4f}" in out
    np.testing.assert_allclose(np.load(tmp_path / "logits.npy"), m.predict(d), rtol=1e-6, atol=1e-6)


def test_ctrl_c_stops_training_after_the_epoch_and_keeps_the_best_parameters():
    d = small_graph()
    m = gg.GAT(heads=2, hidden=4)
    seen = []

    def interrupt(stats):
        seen.append(stats["epoch"])
        if stats["epoch"] == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        m.fit(d, epochs=50, progress=False, callback=interrupt)
    assert seen == [1, 2, 3]
    assert m.predict(d).shape == (300, 3)  # the model is usable

    def fail(stats):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        m.fit(d, epochs=50, progress=False, callback=fail)


def test_progress_prints_lines_without_tqdm(capsys):
    d = small_graph()
    gg.GAT(heads=2, hidden=4).fit(d, epochs=10, progress="lines")
    err = capsys.readouterr().err
    assert "epoch    1" in err and "epoch   10" in err and "test_accuracy=" in err


def test_mini_batches_and_errors():
    d = small_graph()
    m = gg.GAT(heads=2, hidden=4)
    history = m.fit(d, epochs=2, batch_size=32, fanout=[4, 4], progress=False)
    assert len(history["epoch"]) == 2
    with pytest.raises(ValueError, match="fanout"):
        gg.GAT(heads=2, hidden=4).fit(d, epochs=2, batch_size=32, fanout=[4, 4, 4], progress=False)
    with pytest.raises(ValueError, match="heads must be positive"):
        gg.GAT(heads=0)
    with pytest.raises(ValueError, match="patience must be positive"):
        m.fit(d, patience=0, progress=False)
    with pytest.raises(RuntimeError, match="fit it"):
        gg.GAT().predict(d)
    other = gg.synthetic(num_nodes=300, num_features=7, seed=1, val_size=50, test_size=50)
    with pytest.raises(ValueError, match="16 features"):
        m.predict(other)
    unlabelled = gg.Dataset(d.x, d.edge_index)
    assert m.predict(unlabelled).shape == (300, 3)
    with pytest.raises(ValueError, match="fit needs labels"):
        m.fit(unlabelled, progress=False)
