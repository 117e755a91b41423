#!/usr/bin/env bash
# Adversarial training as the baseline defence (issue 30): LeNet-300-100 (784-300-100-10,
# the paper's settings otherwise) on full MNIST, 3,000 iterations, trained naturally and with
# fast adversarial training (FGSM with a random start, ε = 0.1; Wong et al. 2020). Each is
# attacked with PGD-40 at ε = 0.1 (CE and margin) on all 10,000 test images, and certified
# (IBP, CROWN) on the first 500.
# Usage: commands.sh [SEED] [LOSS]   (default 1 quadratic: natural/, fgsm-rs/; seed 2: seed2/…;
# softmax-ce: softmax-ce/…)
set -euo pipefail
SEED=${1:-1}; LOSS=${2:-quadratic}
R=${R:-results/adversarial-lenet}; D=../shared/data/mnist; S="node bin/sparsegrad.js"
[ "$LOSS" = softmax-ce ] && R=$R/softmax-ce
[ "$SEED" != 1 ] && R=$R/seed$SEED
T="--hidden 300,100 --iterations 3000 --eval-every 500 --data $D --seed $SEED --loss $LOSS --kernels rules --no-progress"
$S train $T --out $R/natural < /dev/null
$S train $T --adversarial fgsm-rs:0.1 --out $R/fgsm-rs < /dev/null
for m in natural fgsm-rs; do
  $S eval --model $R/$m/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force \
    --out $R/$m/eval-pgd40.json < /dev/null
  $S certify --model $R/$m/model.safetensors --data $D --test-images 500 --eps 0.01,0.03,0.05,0.1 \
    --pgd-steps 40 --force --out $R/$m/certify.json < /dev/null
done
