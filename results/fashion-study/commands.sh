#!/usr/bin/env bash
# The linear-quadratic FC study on Fashion-MNIST (Debian's dataset-fashion-mnist), briefly: the
# default preset's net (784-256-128-10, 600 iterations, batch 250) trained on 59,000 images (1,000
# held out for validation), one seed; the study's 8 vectors (200 steps) made on it; sweeps of abs,
# act, combined, random and the pixel mask (ratios 0-0.95 by 0.05; the per-layer sweep left out
# for time); ratios chosen on validation (clean within 0.5 points of unpruned); each chosen pruned
# model attacked itself (transfer, universal noise with both recipes, PGD ε = 0.1, 20 steps, CE,
# all 10,000 test images). 5,211 s on the loaded 2-core CPU (nice 15 beside other runs).
set -euo pipefail
node bin/sparsegrad.js study --data fashion-mnist --sweeps per-matrix,pixel-mask --out results/fashion-study
