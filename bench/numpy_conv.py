#!/usr/bin/env python3
"""numpy's conv2d (same padding, stride 1) as im2col + float32 matmul, forward, input gradient
and weight gradient, on the shapes sparsegrad benchmarks, same machine, same run.
argv[1]: JSON list of [N, C, H, W, O, K]; prints JSON: ms and GFLOP/s per shape and direction."""
import json, sys, time
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def im2col(x, K):  # [N,C,H,W] -> [N*H*W, C*K*K], zero padded to 'same'
    P = (K - 1) // 2
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    win = sliding_window_view(xp, (K, K), axis=(2, 3))  # [N,C,H,W,K,K]
    N, C, H, W = x.shape
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(N * H * W, C * K * K)

def col2im(cols, shape, K):  # adjoint of im2col
    N, C, H, W = shape
    P = (K - 1) // 2
    out = np.zeros((N, C, H + 2 * P, W + 2 * P), np.float32)
    c = cols.reshape(N, H, W, C, K, K)
    for i in range(K):
        for j in range(K):
            out[:, :, i:i + H, j:j + W] += c[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out[:, :, P:P + H, P:P + W]

def timed(f, min_time=0.5):
    f()
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time or reps < 2:
        f()
        reps += 1
    return (time.perf_counter() - t0) / reps * 1e3

def bench(N, C, H, W, O, K):
    rng = np.random.default_rng(0)
    x = rng.random((N, C, H, W), dtype=np.float32)
    w = rng.random((O, C, K, K), dtype=np.float32)
    g = rng.random((N, O, H, W), dtype=np.float32)
    wm = w.reshape(O, C * K * K)
    def fwd():
        return (im2col(x, K) @ wm.T).reshape(N, H, W, O).transpose(0, 3, 1, 2)
    def dx():
        gm = g.transpose(0, 2, 3, 1).reshape(N * H * W, O)
        return col2im(gm @ wm, x.shape, K)
    def dw():
        gm = g.transpose(0, 2, 3, 1).reshape(N * H * W, O)
        return (gm.T @ im2col(x, K)).reshape(O, C, K, K)
    flops = 2 * N * H * W * O * C * K * K
    return {"shape": [N, C, H, W, O, K], **{k: {"ms": ms, "gflops": flops / ms / 1e6} for k, ms in (("forward", timed(fwd)), ("inputGrad", timed(dx)), ("weightGrad", timed(dw)))}}

shapes = json.loads(sys.argv[1])
print(json.dumps({"numpy": np.__version__, "results": [bench(*s) for s in shapes]}))
