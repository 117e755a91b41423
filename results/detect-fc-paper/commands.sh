#!/usr/bin/env bash
# Detection from the paper FC linear-quadratic model's raw outputs (results/fc-paper): the 8 study
# vectors (made on this model with the fixed attacks: adaptive-2026-12-01/noise) and PGD ε = 0.1 (40 steps, CE), plain and detector-aware
# (weights 0.01, 0.1, 1); thresholds from the last 1,000 test images, reported on the first 2,000.
set -euo pipefail
R=${R:-results/detect-fc-paper}
node bin/sparsegrad.js detect --model results/fc-paper/model.safetensors --data ../shared/data/mnist \
  --noise results/fc-paper/adaptive-2026-12-01/noise/*.safetensors --pgd 0.1 --pgd-steps 40 --aware 0.01,0.1,1 --aware-toward top \
  --validation 1000 --test-images 2000 --out $R/lq
