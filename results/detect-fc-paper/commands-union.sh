#!/usr/bin/env bash
# The worst case over both detector-aware pulls in one run, so that their union is counted: the
# paper FC linear-quadratic model, PGD ε = 0.1 (40 steps, CE), plain and aware at the strongest
# weights of each pull from commands-weights.sh / commands-wrong.sh (top 0.2, 0.3; wrong 1, 3).
# Thresholds from the last 1,000 test images, reported on the first 2,000.
set -euo pipefail
M=${M:-.}; R=${R:-results/detect-fc-paper}; D=${D:-../shared/data/mnist}
A="--model $M/results/fc-paper/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 --validation 1000 --test-images 2000"
# Two commands share one worst-of row only within a run, so all five attacks run together:
# --aware takes the union of weights; each pull runs at each of them.
node bin/sparsegrad.js detect $A --aware 0.2,0.3,1,3 --aware-toward top,wrong --out $R/lq-union
