#!/usr/bin/env bash
# Pruning an adversarially trained model (issue 30 (c)): the FGSM-RS LeNet-300-100 of
# results/adversarial-lenet pruned 90 / 95 / 99% per matrix, one-shot and then fine-tuned 1,000
# iterations under the mask with the same adversarial training (FGSM-RS ε = 0.1). The mask by |w|
# (abs), or by HYDRA-style scores (prune --method hydra: 300 Adam steps, lr 0.01, on the FGSM-RS
# ε = 0.1 loss). Each model: clean accuracy and PGD-40 at ε = 0.1 (CE and margin) on the first
# 2,000 test images, certified (IBP, CROWN) at ε = 0.05 on the first 500.
# Usage: commands.sh [SEED] [hydra-lr | methods] (seed 1: abs-*/, hydra-*/; seed 2: seed2/…; a
# hydra-lr other than 0.01 tunes HYDRA at 95% only, into hydra-lr<lr>-0.95/; methods: the study's
# other methods, activated value and combined at 90 / 95 / 99% and random at 90 / 95%, pruned and
# fine-tuned alike)
set -euo pipefail
SEED=${1:-1}; LR=${2:-0.01}
R=${R:-results/adversarial-lenet-pruned}; D=../shared/data/mnist; S="node bin/sparsegrad.js"
M=results/adversarial-lenet/fgsm-rs/model.safetensors
[ "$SEED" != 1 ] && { R=$R/seed$SEED; M=results/adversarial-lenet/seed$SEED/fgsm-rs/model.safetensors; }
one() { # method ratio dir [prune options…]
  local method=$1 r=$2 out=$R/$3; shift 3
  [ -f $out/certify-tuned.json ] || [ -f $out/certify-tuned.json.gz ] && return
  $S prune --model $M --ratio $r --method $method "$@" --data $D --seed $SEED --mask-layout torch-prune --force \
    --out $out/oneshot.safetensors < /dev/null
  $S train --init $out/oneshot.safetensors --keep-pruned --mask-layout torch-prune --adversarial fgsm-rs:0.1 \
    --data $D --iterations 1000 --eval-every 500 --seed $SEED --kernels rules --no-progress --out $out/tuned < /dev/null
  for m in oneshot.safetensors tuned/model.safetensors; do
    n=${m%%[./]*}
    $S eval --model $out/$m --data $D --test-images 2000 --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force \
      --out $out/eval-$n.json < /dev/null
    $S certify --model $out/$m --data $D --test-images 500 --eps 0.05 --pgd-steps 40 --force \
      --out $out/certify-$n.json < /dev/null
  done
}
if [ "$LR" = methods ]; then
  one act 0.9 act-0.9; one combined 0.9 combined-0.9; one random 0.9 random-0.9
  one act 0.95 act-0.95; one combined 0.95 combined-0.95; one act 0.99 act-0.99
  one combined 0.99 combined-0.99; one random 0.95 random-0.95
  exit 0
fi
if [ "$LR" != 0.01 ]; then
  one hydra 0.95 hydra-lr$LR-0.95 --hydra-steps 300 --hydra-lr $LR --adversarial fgsm-rs:0.1
  exit 0
fi
for r in 0.9 0.95 0.99; do one abs $r abs-$r; done
for r in 0.9 0.95 0.99; do one hydra $r hydra-$r --hydra-steps 300 --hydra-lr 0.01 --adversarial fgsm-rs:0.1; done
# The unpruned model on the same images.
mkdir -p $R/unpruned
[ -f $R/unpruned/eval.json ] || $S eval --model $M --data $D --test-images 2000 --pgd 0.1 --pgd-steps 40 \
  --pgd-loss ce,margin --force --out $R/unpruned/eval.json < /dev/null
