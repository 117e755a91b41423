#!/usr/bin/env python3
"""Independent check of a sparsegrad checkpoint: numpy forward pass (ReLU hidden layers, no
dropout, linear output) over MNIST test images; prints the test accuracy as JSON.

    python3 bench/numpy_eval.py runs/paper-fc/model.safetensors ../shared/data/mnist

Reads safetensors and IDX with numpy alone (no torch, no safetensors package needed).
"""
import gzip, json, struct, sys
import numpy as np


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


def main():
    model_path, data_dir = sys.argv[1], sys.argv[2]
    t, meta = load_safetensors(model_path)
    images = load_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float64) / 255.0
    labels = load_idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz")
    layers = sorted({k.split(".")[0] for k in t if k.startswith("fc")}, key=lambda s: int(s[2:]))
    h = images
    for i, name in enumerate(layers):
        # PyTorch nn.Linear layout: weight [out, in]
        h = h @ t[f"{name}.weight"].astype(np.float64).T + t[f"{name}.bias"]
        if i + 1 < len(layers):
            h = np.maximum(h, 0)
    acc = float((h.argmax(axis=1) == labels).mean())
    print(json.dumps({"model": model_path, "layers": layers, "test_images": int(len(labels)), "accuracy": acc}))


if __name__ == "__main__":
    main()
