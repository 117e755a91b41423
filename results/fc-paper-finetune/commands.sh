#!/usr/bin/env bash
# Magnitude pruning + fine-tuning of the paper FC model (results/fc-paper, 98.42%): prune 95%
# of every weight matrix by |w| (per-matrix, as the study), then fine-tune under the masks on
# all 60,000 training images with the paper's settings (Adam 1e-3, dropout 0.7, L2 1e-4).
set -euo pipefail
D=../shared/data/mnist; R=${R:-results/fc-paper-finetune}; S="node bin/sparsegrad.js"
for ratio in 0.95; do
  $S prune --model results/fc-paper/model.safetensors --ratio $ratio --method abs --data $D --mask-layout torch-prune --out $R/abs-$ratio/pruned.safetensors
  $S train --init $R/abs-$ratio/pruned.safetensors --keep-pruned --mask-layout torch-prune --data $D --preset paper \
    --iterations 1500 --eval-every 250 --seed 1 --kernels rules --no-progress --out $R/abs-$ratio/tuned < /dev/null
done
