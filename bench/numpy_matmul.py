#!/usr/bin/env python3
"""numpy's float32 matmul on the shapes sparsegrad benchmarks, same machine, same run.
argv[1]: JSON list of [M, K, N, transA, transB]; prints JSON: GFLOP/s per shape and BLAS info."""
import json, sys, time
import numpy as np

def bench(M, K, N, ta, tb, min_time=0.5):
    rng = np.random.default_rng(0)
    a = rng.random((K, M) if ta else (M, K), dtype=np.float32)
    b = rng.random((N, K) if tb else (K, N), dtype=np.float32)
    A = a.T if ta else a
    B = b.T if tb else b
    A @ B
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time:
        A @ B
        reps += 1
    ms = (time.perf_counter() - t0) / reps * 1e3
    return {"shape": [M, K, N, ta, tb], "ms": ms, "gflops": 2 * M * N * K / ms / 1e6}

shapes = json.loads(sys.argv[1])
cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
blas = cfg.get("Build Dependencies", {}).get("blas", {}) if isinstance(cfg, dict) else {}
print(json.dumps({"numpy": np.__version__, "blas": blas.get("name", "?"), "results": [bench(*s) for s in shapes]}))
