#!/usr/bin/env bash
# Robustness of LeNet-300-100 pruned three ways, at the same per-matrix sparsities (issue 19):
# one-shot |w| pruning of the dense model (IMP round 0), the same fine-tuned 900 iterations under
# its masks (one IMP round's budget), and the IMP models of rounds 7, 10 and 12 (79%, 89%, 93%
# pruned; results/imp-lenet/commands.sh). Every model is attacked itself: the 8 study vectors
# (made on the dense model) transferred, universal noise re-optimised (study and no-penalty
# recipes, 150 steps), PGD ε = 0.1 (100 steps, CE and margin) on the first 500 test images.
# Clean accuracy on the first 5,000 test images; the last 5,000 are the validation split.
set -euo pipefail
R=${R:-results/imp-lenet}; D=../shared/data/mnist; S="node bin/sparsegrad.js"
M0=$R/run/round-0/model.safetensors
[ -f $R/noise/noise-t9-l0.2.json ] || $S noise --model $M0 --vectors study --seed 1 --data $D --out $R/noise
COMMON="--data $D --noise $R/noise/*.safetensors --validation 5000 --validation-from test --adaptive-ratios all
  --adaptive-steps 150 --pgd 0.1 --pgd-steps 100 --pgd-loss ce,margin --pgd-images 500 --seed 1"
$S sweep --model $M0 --method abs --ratios 0,0.79,0.8926,0.9313 $COMMON --out $R/robust-oneshot < /dev/null
$S sweep --model $M0 --method abs --ratios 0.79,0.8926,0.9313 --fine-tune 900 $COMMON --out $R/robust-finetuned < /dev/null
for k in 7 10 12; do
  $S sweep --model $R/run/round-$k/model.safetensors --method abs --ratios 0 $COMMON --out $R/robust-imp-round$k < /dev/null
done
# Control for the extra training the fine-tuned and IMP models had: the dense model trained 900
# more iterations (fresh Adam, as fine-tuning), attacked the same way.
[ -f $R/dense-plus-900/train.json ] && grep -q '"finished"' $R/dense-plus-900/train.json || \
  $S train --init $M0 --iterations 900 --eval-every 0 --data $D --seed 1 --kernels rules --no-progress --out $R/dense-plus-900 < /dev/null
$S sweep --model $R/dense-plus-900/model.safetensors --method abs --ratios 0 $COMMON --out $R/robust-dense-plus-900 < /dev/null
echo "robustness done"
