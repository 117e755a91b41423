#!/usr/bin/env bash
# Certified robustness of the main job's model (results/study-embedded, seed 1: FC 784-256-128-10
# on the embedded digits) on the first 1,000 of its 2,004 test images: IBP and CROWN lower bounds
# at ε = 0.005…0.05 beside PGD (100 steps, CE and margin) at the same ε.
set -euo pipefail
R=${R:-results/certify-embedded}
node bin/sparsegrad.js certify --model results/study-embedded/model-seed1/model.safetensors --test-images 1000 \
  --out $R/certify.json --force < /dev/null
