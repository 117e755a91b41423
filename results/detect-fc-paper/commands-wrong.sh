#!/usr/bin/env bash
# Detector-aware PGD pulled towards the top wrong class (--aware-toward wrong): the outputs are
# drawn to a confident wrong answer, so the penalty helps the attack instead of resisting it
# while the image is still right. The paper FC linear-quadratic model (results/fc-paper) and its
# softmax-CE twin (results/fc-paper-softmax), PGD ε = 0.1, 40 steps, CE, weights 0.1 … 10;
# thresholds from the last 1,000 test images, reported on the first 2,000 (as commands.sh).
set -euo pipefail
M=${M:-.}; R=${R:-results/detect-fc-paper}; D=${D:-../shared/data/mnist}
W=0.1,0.3,1,3,10
node bin/sparsegrad.js detect --model $M/results/fc-paper/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 \
  --aware $W --aware-toward wrong --validation 1000 --test-images 2000 --out $R/lq-wrong
node bin/sparsegrad.js detect --model $M/results/fc-paper-softmax/model/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 \
  --aware $W --aware-toward wrong --validation 1000 --test-images 2000 --out $R/softmax-wrong
