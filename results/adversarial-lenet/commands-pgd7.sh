#!/usr/bin/env bash
# Madry's PGD adversarial training (PGD-7 at ε = 0.1, step 2.5ε/7) of the same LeNet-300-100 as
# commands.sh (seed 1, linear-quadratic, 3,000 iterations), measured as the others: PGD-40 at
# ε = 0.1 (CE and margin) on all 10,000 test images, certified on the first 500.
set -euo pipefail
R=results/adversarial-lenet; D=../shared/data/mnist; S="node bin/sparsegrad.js"
T="--hidden 300,100 --iterations 3000 --eval-every 500 --data $D --seed 1 --loss quadratic --kernels rules --no-progress"
$S train $T --adversarial pgd:0.1,7 --out $R/pgd7 < /dev/null
$S eval --model $R/pgd7/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force \
  --out $R/pgd7/eval-pgd40.json < /dev/null
$S certify --model $R/pgd7/model.safetensors --data $D --test-images 500 --eps 0.01,0.03,0.05,0.1 \
  --pgd-steps 40 --force --out $R/pgd7/certify.json < /dev/null
