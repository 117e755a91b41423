#!/usr/bin/env bash
# Detection per pruning ratio on the paper FC linear-quadratic model (results/fc-paper): pruned by
# |w| (per matrix) at 0.5 and 0.92, and by mean activated value at 0.86 (0.92 and 0.86: the
# ratios the seed-1 study chose on validation, results/fc-paper/adaptive-2026-12-01/chosen.txt).
# Universal noise: the 8 study vectors made on the unpruned model, transferred. PGD ε = 0.1
# (40 steps, CE) attacks each pruned model itself, plain and detector-aware (w = 1, both pulls).
# Thresholds from each pruned model's own clean outputs on the last 1,000 test images; reported
# on the first 1,000.
set -euo pipefail
M=${M:-.}; R=${R:-results/detect-fc-paper}; D=${D:-../shared/data/mnist}
A="--data $D --noise $M/results/fc-paper/adaptive-2026-12-01/noise/*.safetensors --pgd 0.1 --pgd-steps 40 --aware 1 --aware-toward wrong,top --validation 1000 --test-images 1000"
node bin/sparsegrad.js detect --model $M/results/fc-paper/model.safetensors $A --method abs --ratios 0,0.5,0.92 --out $R/lq-ratios-abs
node bin/sparsegrad.js detect --model $M/results/fc-paper/model.safetensors $A --method act --ratios 0,0.86 --out $R/lq-ratios-act
