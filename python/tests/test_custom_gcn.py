# examples/custom_gcn.py, the GCN of docs/custom-model.md in Python, against the C++ program
# custom-gcn on Cora: the same lines, to the last printed digit (20 epochs, well under a second).
import os
import pathlib
import subprocess
import sys

from conftest import build_program, shared_dataset

sys.path.insert(0, str(pathlib.Path(os.environ.get("GATGRAD_SOURCE", ".")) / "examples"))
import custom_gcn  # noqa: E402


def test_python_gcn_prints_what_the_cpp_example_prints():
    cora = shared_dataset("cora")
    program = build_program("custom-gcn")
    cpp = subprocess.run([program, "--data", cora, "--epochs", "20"], check=True, capture_output=True,
                         text=True).stdout.splitlines()[1:]  # without the line describing the data
    lines = []
    custom_gcn.run(cora, epochs=20, out=lines.append)
    assert lines == cpp
