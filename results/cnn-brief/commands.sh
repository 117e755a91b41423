#!/usr/bin/env bash
# The decoupled CNN, briefly (issue 16): the study's 7-layer CNN (conv 7×7×12, 5×5×15, 3×3×25,
# 3×3×20, FC 1500, 500, 10; linear-quadratic) trained 1,000 iterations on full MNIST (batch 50,
# lr 1e-3, then 1e-4 after 800); four of the study's vectors made on it; the decoupled model (each
# conv layer an exact sparse matrix, one entry per filter placement) pruned per matrix by abs,
# act, combined and random, and the pixel-mask control (the first matrix's columns are pixels);
# ratios chosen on the last 1,000 test images (clean within 0.5 points of unpruned), reported on
# the first 1,000; then each chosen pruned model attacked itself: the transferred vectors,
# universal noise re-optimised on it (study and no-penalty recipes, 60 steps) and PGD ε = 0.1
# (40 steps, CE and margin, first 200 test images). Usage: commands.sh [stage...]; every stage resumes.
set -euo pipefail
STAGES=${*:-train noise choose adaptive}
R=results/cnn-brief; D=../shared/data/mnist; S="node bin/sparsegrad.js"; M=$R/model/model.safetensors
COMMON="--data $D --decouple --validation 1000 --validation-from test --test-images 1000 --seed 1"
for stage in $STAGES; do case $stage in
train)
  $S train --arch cnn --batch 50 --iterations 1000 --lr-schedule 800:1e-4 --seed 1 --eval-every 250 --data $D \
    --no-progress --out $R/model < /dev/null ;;
noise)
  [ -f $R/noise/noise-t9-l0.2.json ] || $S noise --model $M --vectors 3:0.25,1:0.15,5:0.35,9:0.2 --steps 300 --seed 1 \
    --data $D --out $R/noise ;;
choose)
  $S sweep --model $M $COMMON --method abs,act,combined,random --ratios 0,0.3,0.5,0.7,0.8,0.9,0.95 --out $R/choose < /dev/null
  $S sweep --model $M $COMMON --method pixel-mask --scope layer:1 --ratios 0,0.3,0.5,0.6,0.7,0.8 --out $R/choose-pixel-mask < /dev/null
  : > $R/chosen.txt
  for f in choose choose-pixel-mask; do
    python3 - "$R/$f/chosen.json" >> $R/chosen.txt <<'PY'
import json,sys
for c in json.load(open(sys.argv[1]))['chosen']: print(c['method'], c['scope'], c['ratio'])
PY
  done
  cat $R/chosen.txt ;;
adaptive)
  first=1
  while read -r method scope ratio; do
    if [ $first = 1 ]; then ratios="0,$ratio"; first=0; else ratios=$ratio; fi
    # A method whose chosen ratio is 0 has no pruned model to attack (random: 0.3 already lost > 0.5 points).
    [ "$ratios" = "0" ] && { echo "skip $method: chosen ratio 0"; continue; }
    $S sweep --model $M $COMMON --noise $R/noise/*.safetensors --method $method --scope $scope --ratios $ratios \
      --adaptive-ratios all --adaptive-steps 60 --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --pgd-images 200 \
      --out $R/adaptive-$method < /dev/null
  done < $R/chosen.txt ;;
*) echo "unknown stage $stage" >&2; exit 2 ;;
esac; done
echo "cnn-brief: $STAGES done"
# Findings: node bin/sparsegrad.js findings $R/adaptive-{abs,act,combined,random,pixel-mask} --out $R/findings
