#!/usr/bin/env bash
# Iterative magnitude pruning of LeNet-300-100 (784-300-100-10, linear-quadratic, the paper's
# training settings otherwise) on full MNIST: 1,000 iterations per round, 20% of the remaining
# weights per matrix each round, rewinding to iteration 100 (Frankle et al. 2020), 12 rounds
# (93% pruned at the end). Han et al. (2015) kept 8% of LeNet-300-100's weights at no loss.
set -euo pipefail
R=${R:-results/imp-lenet}
node bin/sparsegrad.js imp --data ../shared/data/mnist --hidden 300,100 --iterations 1000 --eval-every 500 \
  --rounds 12 --per-round 0.2 --rewind 100 --scope per-matrix --seed 1 --kernels rules --out $R/run
