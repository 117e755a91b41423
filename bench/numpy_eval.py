#!/usr/bin/env python3
"""Independent check of a sparsegrad checkpoint: numpy forward pass (same-padded conv layers
conv{i} if any, flatten, linear layers fc{i}; ReLU after every hidden layer, no dropout, linear
output) over MNIST test images, in float64; prints the test accuracy as JSON.

    python3 bench/numpy_eval.py runs/paper-fc/model.safetensors ../shared/data/mnist

Reads safetensors and IDX with numpy alone (no torch, no safetensors package needed).
"""
import gzip, json, struct, sys
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: dtype {info['dtype']}"
        a, b = info["data_offsets"]
        tensors[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"])
    return tensors, header.get("__metadata__", {})


def load_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim :], dtype=np.uint8).reshape(dims)


def conv_same(x, w, b):
    """PyTorch Conv2d(padding='same'), stride 1: x [N,C,H,W], w [O,C,K,K] (odd K)."""
    K = w.shape[2]
    P = (K - 1) // 2
    win = sliding_window_view(np.pad(x, ((0, 0), (0, 0), (P, P), (P, P))), (K, K), axis=(2, 3))  # [N,C,H,W,K,K]
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=True) + b[None, :, None, None]


def forward(t, images):
    convs = sorted({k.split(".")[0] for k in t if k.startswith("conv")}, key=lambda s: int(s[4:]))
    h = images.reshape(-1, 1, 28, 28) if convs else images
    for name in convs:
        h = np.maximum(conv_same(h, t[f"{name}.weight"].astype(np.float64), t[f"{name}.bias"]), 0)
    h = h.reshape(len(images), -1)  # torch.flatten: C, H, W order
    layers = sorted({k.split(".")[0] for k in t if k.startswith("fc")}, key=lambda s: int(s[2:]))
    for i, name in enumerate(layers):
        # PyTorch nn.Linear layout: weight [out, in]
        h = h @ t[f"{name}.weight"].astype(np.float64).T + t[f"{name}.bias"]
        if i + 1 < len(layers):
            h = np.maximum(h, 0)
    return h, convs + layers


def main():
    model_path, data_dir = sys.argv[1], sys.argv[2]
    t, meta = load_safetensors(model_path)
    images = load_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float64) / 255.0
    labels = load_idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz")
    preds, layers = [], []
    for start in range(0, len(images), 200):  # batches bound the conv windows' memory
        h, layers = forward(t, images[start:start + 200])
        preds.append(h.argmax(axis=1))
    acc = float((np.concatenate(preds) == labels).mean())
    print(json.dumps({"model": model_path, "layers": layers, "test_images": int(len(labels)), "accuracy": acc}))


if __name__ == "__main__":
    main()
