#!/usr/bin/env bash
# Issue 30 (b) on the paper FC net (784-1500-1000-800-10, linear-quadratic, dropout 0.3, batch 250,
# full MNIST): fast adversarial training (FGSM-RS ε = 0.1) for the same 3,000 iterations as the
# naturally trained results/fc-paper model, then the same measures as that model gets here: clean
# accuracy and PGD-100 at ε = 0.1 (CE and margin) on the first 500 test images (the study's PGD,
# as each chosen pruned model got it), certified (IBP, CROWN) at ε = 0.02 and 0.05 on the first
# 100. Usage: commands.sh [SEED]
set -euo pipefail
SEED=${1:-1}; D=../shared/data/mnist; S="node bin/sparsegrad.js"; R=results/adversarial-fc-paper/seed$SEED
N=results/fc-paper/model.safetensors
[ "$SEED" != 1 ] && N=results/fc-paper-seeds/seed$SEED/model/model.safetensors
$S train --preset paper --seed $SEED --iterations 3000 --eval-every 1000 --adversarial fgsm-rs:0.1 --data $D \
  --no-progress --out $R/fgsm-rs < /dev/null
for m in natural fgsm-rs; do
  f=$R/$m/model.safetensors; [ $m = natural ] && { f=$N; mkdir -p $R/natural; }
  [ -f $R/$m/certify.json ] && continue
  $S eval --model $f --data $D --test-images 500 --pgd 0.1 --pgd-steps 100 --pgd-loss ce,margin --force \
    --out $R/$m/eval-pgd100.json < /dev/null
  $S certify --model $f --data $D --test-images 100 --eps 0.02,0.05 --pgd-steps 40 --force \
    --out $R/$m/certify.json < /dev/null
done
