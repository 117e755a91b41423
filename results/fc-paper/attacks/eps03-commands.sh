#!/usr/bin/env bash
# Why PGD leaves ~9% at ε = 0.3 on the paper FC model: the first 500 test images under
# stronger settings (margin loss, bigger steps, more steps, restarts).
set -euo pipefail
M=results/fc-paper/model.safetensors; D=../shared/data/mnist; R=results/fc-paper/attacks
S="node bin/sparsegrad.js eval --model $M --data $D --test-images 500 --pgd 0.3"
$S --pgd-steps 100 --pgd-loss ce,margin --out $R/eps03-steps100-f2.5.json
$S --pgd-steps 100 --pgd-loss ce,margin --pgd-step-factor 10 --out $R/eps03-steps100-f10.json
$S --pgd-steps 1000 --pgd-loss ce,margin --pgd-step-factor 2.5 --out $R/eps03-steps1000-f2.5.json
$S --pgd-steps 100 --pgd-loss ce,margin --pgd-restarts 10 --out $R/eps03-steps100-r10.json
