#!/usr/bin/env bash
# The checkpoints behind the LeNet-300-100 robustness table (robustness.sh), kept in git
# gzip-compressed: the IMP models of rounds 0, 7, 10 and 12 (commands.sh), the one-shot and the
# fine-tuned models at the same sparsities (the sweeps of robustness.sh with --save-models and
# without the attacks: pruning and fine-tuning do not depend on them), and the dense model trained
# 900 more iterations. Each file, loaded back, gives the table's clean accuracy on the first 5,000
# test images (test/study/committed-checkpoints.test.ts checks what it can without full MNIST).
set -euo pipefail
R=${R:-results/imp-lenet}; D=../shared/data/mnist; S="node bin/sparsegrad.js"
M0=$R/run/round-0/model.safetensors
COMMON="--data $D --validation 5000 --validation-from test --seed 1 --save-models"
$S sweep --model $M0 --method abs --ratios 0.79,0.8926,0.9313 $COMMON --out $R/models-oneshot < /dev/null
$S sweep --model $M0 --method abs --ratios 0.79,0.8926,0.9313 --fine-tune 900 $COMMON --out $R/models-finetuned < /dev/null
