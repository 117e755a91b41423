#!/usr/bin/env bash
# Issue 30 (a) on the paper FC net (784-1500-1000-800-10, linear-quadratic, full MNIST): does a
# pruning method raise *certified* robustness? Each seed's model and each method at the ratio the
# study chose for it (clean >= 98.0% on the last 5,000 test images; chosen.txt of that seed's
# run), pruned once, then certified (IBP, CROWN) at ε = 0.02 on the first 100 test images, beside
# PGD-40 (CE and margin) on the same images.  Usage: commands.sh SEED
set -euo pipefail
SEED=$1; D=../shared/data/mnist; S="node bin/sparsegrad.js"; R=results/certify-pruned-fc-paper/seed$SEED
if [ "$SEED" = 1 ]; then M=results/fc-paper/model.safetensors; C=results/fc-paper/adaptive-2026-12-01/chosen.txt
else M=results/fc-paper-seeds/seed$SEED/model/model.safetensors; C=results/fc-paper-seeds/seed$SEED/chosen.txt; fi
mkdir -p $R
C_ARGS="--data $D --test-images 100 --eps 0.02 --pgd-steps 40 --seed $SEED --force"
[ -f $R/certify-unpruned.json ] || [ -f $R/certify-unpruned.json.gz ] || $S certify --model $M $C_ARGS --out $R/certify-unpruned.json < /dev/null
while read -r method scope ratio; do
  n=$method-$ratio
  [ -f $R/certify-$n.json ] || [ -f $R/certify-$n.json.gz ] && continue
  $S prune --model $M --method $method --scope $scope --ratio $ratio --seed $SEED --data $D --force \
    --out /tmp/certify-pruned-$n.safetensors < /dev/null
  $S certify --model /tmp/certify-pruned-$n.safetensors $C_ARGS --out $R/certify-$n.json < /dev/null
  rm -f /tmp/certify-pruned-$n.safetensors
done < $C
