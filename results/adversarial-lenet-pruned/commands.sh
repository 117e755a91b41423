#!/usr/bin/env bash
# Pruning an adversarially trained model (issue 30 (c), magnitude pruning only so far): the
# FGSM-RS LeNet-300-100 of results/adversarial-lenet pruned 90 / 95 / 99% per matrix by |w|,
# one-shot and then fine-tuned 1,000 iterations under the mask with the same adversarial
# training (FGSM-RS ε = 0.1). Each model: clean accuracy and PGD-40 at ε = 0.1 (CE and margin)
# on the first 2,000 test images, certified (IBP, CROWN) at ε = 0.05 on the first 500.
set -euo pipefail
R=${R:-results/adversarial-lenet-pruned}; D=../shared/data/mnist; S="node bin/sparsegrad.js"
M=results/adversarial-lenet/fgsm-rs/model.safetensors
for r in 0.9 0.95 0.99; do
  $S prune --model $M --ratio $r --method abs --data $D --mask-layout torch-prune --force --out $R/abs-$r/oneshot.safetensors
  $S train --init $R/abs-$r/oneshot.safetensors --keep-pruned --mask-layout torch-prune --adversarial fgsm-rs:0.1 \
    --data $D --iterations 1000 --eval-every 500 --seed 1 --kernels rules --no-progress --out $R/abs-$r/tuned < /dev/null
  for m in oneshot.safetensors tuned/model.safetensors; do
    n=${m%%[./]*}
    $S eval --model $R/abs-$r/$m --data $D --test-images 2000 --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force \
      --out $R/abs-$r/eval-$n.json < /dev/null
    $S certify --model $R/abs-$r/$m --data $D --test-images 500 --eps 0.05 --pgd-steps 40 --force \
      --out $R/abs-$r/certify-$n.json < /dev/null
  done
done
# The same with HYDRA-style scores (prune --method hydra: 300 Adam steps, lr 0.01, on the FGSM-RS
# ε = 0.1 loss) instead of |w|, then the same adversarial fine-tuning under the mask.
for r in 0.9 0.95 0.99; do
  $S prune --model $M --ratio $r --method hydra --hydra-steps 300 --adversarial fgsm-rs:0.1 --data $D \
    --mask-layout torch-prune --force --out $R/hydra-$r/oneshot.safetensors
  $S train --init $R/hydra-$r/oneshot.safetensors --keep-pruned --mask-layout torch-prune --adversarial fgsm-rs:0.1 \
    --data $D --iterations 1000 --eval-every 500 --seed 1 --kernels rules --no-progress --out $R/hydra-$r/tuned < /dev/null
  for m in oneshot.safetensors tuned/model.safetensors; do
    n=${m%%[./]*}
    $S eval --model $R/hydra-$r/$m --data $D --test-images 2000 --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force \
      --out $R/hydra-$r/eval-$n.json < /dev/null
    $S certify --model $R/hydra-$r/$m --data $D --test-images 500 --eps 0.05 --pgd-steps 40 --force \
      --out $R/hydra-$r/certify-$n.json < /dev/null
  done
done
# The unpruned model on the same images.
$S eval --model $M --data $D --test-images 2000 --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force --out $R/unpruned/eval.json < /dev/null
