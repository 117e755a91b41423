#!/usr/bin/env bash
# Detector-aware PGD weights searched finely (issue 20): the paper FC linear-quadratic model
# (results/fc-paper) and its softmax-CE twin (results/fc-paper-softmax), PGD ε = 0.1, 40 steps, CE,
# plain and aware at w = 0.01 … 1; thresholds from the last 1,000 test images, reported on the
# first 2,000 (as commands.sh). The "worst of" row counts an image lost if any of the 8 attacks
# got it past the detector.
set -euo pipefail
M=${M:-.}; R=${R:-results/detect-fc-paper}; D=${D:-../shared/data/mnist}
W=0.01,0.1,0.2,0.3,0.5,0.7,1 # pulled towards the top class (the code of 821455d; --aware-toward top since)
node bin/sparsegrad.js detect --model $M/results/fc-paper/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 \
  --aware $W --aware-toward top --validation 1000 --test-images 2000 --out $R/lq-weights
node bin/sparsegrad.js detect --model $M/results/fc-paper-softmax/model/model.safetensors --data $D --pgd 0.1 --pgd-steps 40 \
  --aware $W --aware-toward top --validation 1000 --test-images 2000 --out $R/softmax-weights
