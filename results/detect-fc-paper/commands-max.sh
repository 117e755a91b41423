#!/usr/bin/env bash
# An attacker who knows the largest-output detector (--aware-score max: the penalty is −z_c, c the
# top wrong class): the score that detected best for the softmax twin (largest logit) and for
# the activation-pruned LQ model (largest output), until now attacked only by attacks aimed at
# other scores. PGD ε = 0.1, 40 steps, CE; plain and aware.
set -euo pipefail
M=${M:-.}; R=${R:-results/detect-fc-paper}; D=${D:-../shared/data/mnist}
node bin/sparsegrad.js detect --model $M/results/fc-paper-softmax/model/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 \
  --aware 0.1,1 --aware-score max --validation 1000 --test-images 2000 --out $R/softmax-max
node bin/sparsegrad.js detect --model $M/results/fc-paper/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 \
  --aware 0.1,1 --aware-score max --method act --ratios 0,0.86 --validation 1000 --test-images 1000 --out $R/lq-max-act
