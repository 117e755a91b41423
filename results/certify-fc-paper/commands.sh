#!/usr/bin/env bash
# Certified robustness of the paper FC model (results/fc-paper, 98.42%) on the first 200 test
# images of full MNIST: IBP and CROWN lower bounds at ε = 0.005…0.05, PGD (100 steps, CE and
# margin) at the same ε as the upper bound.
set -euo pipefail
R=${R:-results/certify-fc-paper}; D=../shared/data/mnist
node bin/sparsegrad.js certify --model results/fc-paper/model.safetensors --data $D --test-images 200 \
  --out $R/certify.json --force < /dev/null
