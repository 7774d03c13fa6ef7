#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/npy and fuzz/corpus/checkpoint (standard library only).

The .npy files are laid out exactly as NumPy writes them (the header dict, padding to 64 bytes,
'\\n'); the .npz files are zips of .npy members as numpy.savez / scipy.sparse.save_npz write
them. A checkpoint seed is the files of a checkpoint of fuzz_checkpoint's model (Linear(3, 2)
+ Dropout + Adam) joined by fuzz_checkpoint.cpp's separator, in its kFiles order.
Run from anywhere: python3 fuzz/make_corpus.py
"""
import io
import json
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\n#--#\n"  # kSeparator in fuzz_checkpoint.cpp


def npy(descr, shape, data, version=1, fortran=False):
    shape_repr = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_repr)
    if shape:
        d += " " * (21 - len(str(shape[0])))
    pre = 10 if version == 1 else 12
    hlen = len(d) + 1
    total = hlen + (64 - (pre + hlen) % 64)
    head = b"\x93NUMPY" + bytes([version, 0])
    head += struct.pack("<H", total) if version == 1 else struct.pack("<I", total)
    return head + d.encode() + b" " * (total - hlen) + b"\n" + data


def npz(members, compress, zip64=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members:
            with z.open(name + ".npy", "w", force_zip64=zip64) as f:
                f.write(data)
    return buf.getvalue()


def f4(*v):
    return struct.pack("<%df" % len(v), *v)


def i8(*v):
    return struct.pack("<%dq" % len(v), *v)


def write(folder, name, data):
    path = os.path.join(HERE, "corpus", folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


csr = [("indices", npy("<i4", [4], struct.pack("<4i", 0, 2, 1, 2))),
       ("indptr", npy("<i4", [4], struct.pack("<4i", 0, 2, 3, 4))),
       ("format", npy("|S3", [], b"csr")),
       ("shape", npy("<i8", [2], i8(3, 3))),
       ("data", npy("<f4", [4], f4(1, 0.5, 2, -1)))]
coo = [("row", npy("<i8", [4], i8(0, 2, 0, 2))),
       ("col", npy("<i8", [4], i8(0, 1, 0, 3))),  # (0, 0) twice: summed
       ("format", npy("|S3", [], b"coo")),
       ("shape", npy("<i8", [2], i8(3, 4))),
       ("data", npy("<f4", [4], f4(1, 2, 0.5, -1)))]
csc = [("indices", npy("<i4", [4], struct.pack("<4i", 2, 0, 1, 0))),  # rows unsorted in column 0
       ("indptr", npy("<i4", [5], struct.pack("<5i", 0, 2, 3, 3, 4))),
       ("format", npy("<U3", [], "csc".encode("utf-32-le"))),
       ("shape", npy("<i8", [2], i8(3, 4))),
       ("data", npy("<f4", [4], f4(1, 0.5, 2, -1)))]


def with_shape(members, rows, cols):
    return [(k, npy("<i8", [2], i8(rows, cols)) if k == "shape" else v) for k, v in members]


seeds = {
    "f4_2x3.npy": npy("<f4", [2, 3], f4(1, 2, 3, 4, 5, 6)),
    "f8_0d.npy": npy("<f8", [], struct.pack("<d", 3.5)),
    "i8_edges.npy": npy("<i8", [2, 3], i8(0, 1, 2, 1, 2, 0)),
    "i4_labels.npy": npy("<i4", [4], struct.pack("<4i", 0, 1, 2, 1)),
    "u8.npy": npy("<u8", [2], struct.pack("<2Q", 1, 2**63)),
    "b1_mask.npy": npy("|b1", [5], bytes([1, 0, 0, 1, 1])),
    "i1_3d.npy": npy("|i1", [2, 1, 2], bytes([1, 255, 3, 4])),
    "S3_format.npy": npy("|S3", [], b"csr"),
    "U3_format.npy": npy("<U3", [2], "csrcoo".encode("utf-32-le")),
    "f4_empty_0x3.npy": npy("<f4", [0, 3], b""),
    "v2_f4.npy": npy("<f4", [2], f4(1, 2), version=2),
    "v3_f4.npy": npy("<f4", [1], f4(7), version=3),
    "fortran_1d.npy": npy("<f4", [3], f4(1, 2, 3), fortran=True),
    # near-valid: each is rejected with a DataError
    "truncated.npy": npy("<f4", [2, 3], f4(1, 2, 3, 4, 5)),
    "big_endian.npy": npy(">f4", [2], b"\0" * 8),
    "fortran_2d.npy": npy("<f8", [2, 2], b"\0" * 32, fortran=True),
    "float16.npy": npy("<f2", [2], b"\0" * 4),
    "huge_shape.npy": npy("|u1", [10**18 - 1, 10, 0], b""),
    "csr_stored.npz": npz(csr, compress=False),
    "csr_deflated.npz": npz(csr, compress=True),
    "csr_zip64.npz": npz(csr, compress=False, zip64=True),
    "coo.npz": npz(coo, compress=True),
    "csc.npz": npz(csc, compress=False),
    # regressions: an empty coo or csc matrix claiming 2^40 rows asked for 8 TiB of row pointers
    "coo_2pow40_rows.npz": npz(with_shape([(k, npy("<i8", [0], b"") if k in ("row", "col") else
                                                (npy("<f4", [0], b"") if k == "data" else v)) for k, v in coo],
                                          2**40, 4), compress=False),
    "csc_2pow40_rows.npz": npz(with_shape(csc, 2**40, 4), compress=False),
}
for name, data in seeds.items():
    write("npy", name, data)

# A checkpoint of fuzz_checkpoint.cpp's Net after one Adam step, and variations.
config = json.dumps({"model": "fuzz", "in": 3, "out": 2}).encode()
weight = npy("<f4", [3, 2], f4(0.1, -0.2, 0.3, -0.4, 0.5, -0.6))
bias = npy("<f4", [2], f4(0.01, -0.01))
counters = json.dumps({"drop.counter": 3}, indent=2).encode() + b"\n"
def optimizer_state(step_count, step):
    return json.dumps({"format": "gatgrad-optimizer-state", "version": 1, "type": "adam", "step_count": step_count,
                       "hyperparameters": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
                       "state": ["exp_avg", "exp_avg_sq"],
                       "parameters": [{"name": "fc.weight", "step": step}, {"name": "fc.bias", "step": step}]},
                      indent=2).encode() + b"\n"


state = optimizer_state(1, 1)
never = optimizer_state(0, 0)
moments = [npy("<f4", [3, 2], f4(*[0.01] * 6)), npy("<f4", [2], f4(0.02, 0.02)),
           npy("<f4", [3, 2], f4(*[1e-4] * 6)), npy("<f4", [2], f4(4e-4, 4e-4))]
# config.json as gat-train writes it: the model's fields and the training's in one object (each
# reader takes its own), so that GATConfig::from_json and TrainConfig::from_json both accept it.
gat_config = json.dumps({"model": "gat", "in_features": 3, "num_classes": 2, "layers": 2, "hidden": 8, "heads": 8,
                         "out_heads": 1, "dropout": 0.6, "attn_dropout": 0.6, "negative_slope": 0.2,
                         "add_self_loops": True, "residual": False, "share_weights": False,
                         "normalize_features": True, "seed": 0, "edge_dim": 2, "edge_fill": "mean",
                         "max_epochs": 1000, "patience": 100, "lr": 0.005, "weight_decay": 0.0005, "beta1": 0.9,
                         "beta2": 0.999, "eps": 1e-08, "batch_size": 0, "fanout": [10, 10], "micro_batches": 1,
                         "eval_chunk": 4096, "graphs_per_batch": 0}, indent=2).encode()
checkpoints = {
    "model_only": [config, weight, bias, counters],
    "with_adam": [config, weight, bias, counters, state] + moments,
    "adam_never_stepped": [config, weight, bias, counters, never],
    # near-valid
    "wrong_shape": [config, npy("<f4", [2, 3], f4(1, 2, 3, 4, 5, 6)), bias, counters],
    "f8_weight": [config, npy("<f8", [3, 2], b"\0" * 48), bias, counters],
    "bad_counter": [config, weight, bias, b'{"drop.counter": -1}'],
    "no_counters": [config, weight, bias],
    "extra_file": [config, weight, bias, counters, state] + moments + [bias],
    # regressions: a version of 1e300 was cast to int (undefined behaviour)
    "version_1e300": [config, weight, bias, counters, state.replace(b'"version": 1,', b'"version": 1e300,')] + moments,
    "gat_config": [gat_config, weight, bias, counters],
    # regressions: sizes and values beyond their type in config.json
    "gat_config_hidden_1e9": [gat_config.replace(b'"hidden": 8', b'"hidden": 1000000000'), weight, bias, counters],
    "gat_config_hidden_1e300": [gat_config.replace(b'"hidden": 8', b'"hidden": 1e300'), weight, bias, counters],
    "gat_config_edge_fill_1e39": [gat_config.replace(b'"mean"', b'"1e39"'), weight, bias, counters],
    "nan_weight": [config, npy("<f4", [3, 2], f4(0.1, float("nan"), 0.3, -0.4, 0.5, -0.6)), bias, counters],
}
for name, parts in checkpoints.items():
    write("checkpoint", name, SEP.join(parts))
