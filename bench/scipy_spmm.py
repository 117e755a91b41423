#!/usr/bin/env python3
"""scipy CSR (single thread, the study's path) and numpy dense on the exact matrices sparsegrad
benchmarks, same machine, same run. argv[1]: JSON list of {file, rows, cols, nnz, n}; each file
holds rowPtr (uint32, rows+1), colIdx (uint32, nnz), values (float32, nnz) back to back.
Times A @ X with X dense [cols, n]; prints JSON: ms per matrix for scipy and numpy."""
import json, os, sys, time
import numpy as np
import scipy
import scipy.sparse as sp


def timed(f, min_time=0.3, max_reps=50):
    f()
    reps, t0 = 0, time.perf_counter()
    while (time.perf_counter() - t0 < min_time or reps < 2) and reps < max_reps:
        f()
        reps += 1
    return (time.perf_counter() - t0) / reps * 1e3


def load(spec):
    raw = np.fromfile(spec["file"], dtype=np.uint8)
    r, nnz = spec["rows"], spec["nnz"]
    indptr = raw[: 4 * (r + 1)].view(np.uint32).astype(np.int64)
    indices = raw[4 * (r + 1) : 4 * (r + 1 + nnz)].view(np.uint32).astype(np.int32)
    data = raw[4 * (r + 1 + nnz) :].view(np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(r, spec["cols"]))


out = []
dense_cache = {}
for spec in json.loads(sys.argv[1]):
    a = load(spec)
    x = np.random.default_rng(0).random((spec["cols"], spec["n"]), dtype=np.float32)
    row = {"file": os.path.basename(spec["file"]), "scipyMs": timed(lambda: a @ x)}
    if spec.get("dense"):  # numpy (BLAS, all cores) on the dense form, once per shape
        key = (spec["rows"], spec["cols"], spec["n"])
        if key not in dense_cache:
            d = a.toarray()
            dense_cache[key] = timed(lambda: d @ x)
        row["numpyDenseMs"] = dense_cache[key]
    out.append(row)

def load_idx(path):
    import gzip, struct
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    dims = struct.unpack(">" + "I" * raw[3], raw[4 : 4 + 4 * raw[3]])
    return np.frombuffer(raw[4 + 4 * raw[3] :], dtype=np.uint8).reshape(dims)


cnn = None
if len(sys.argv) > 2:  # the whole decoupled CNN: relu(A·h + b) layer by layer, feature-major
    spec = json.loads(sys.argv[2])
    chain = [(load(l), np.fromfile(l["bias"], dtype=np.float32)[:, None], l["relu"]) for l in spec["chain"]]
    if spec["source"] == "embedded":
        x = np.random.default_rng(0).random((784, spec["images"]), dtype=np.float32)
    else:
        x = (load_idx(spec["source"] + "/t10k-images-idx3-ubyte.gz").reshape(-1, 784).T / np.float32(255)).astype(np.float32)
    def forward():
        batch = spec["batch"]
        for start in range(0, x.shape[1], batch):
            h = np.ascontiguousarray(x[:, start : start + batch])
            for a, b, relu in chain:
                h = a @ h + b
                if relu:
                    h = np.maximum(h, 0)
    t0 = time.perf_counter()
    forward()
    cnn = {"ms": (time.perf_counter() - t0) * 1e3, "images": int(x.shape[1])}
print(json.dumps({"scipy": scipy.__version__, "numpy": np.__version__, "results": out, "cnn": cnn}))
