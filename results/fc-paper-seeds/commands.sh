#!/usr/bin/env bash
# The paper FC study over more training seeds, with the protocol of results/fc-paper/adaptive-2026-12-01
# (seed 1): trained on all 60,000 training images (3,000 iterations, the paper preset), noise made on each
# seed's own model (noise seed = training seed), ratios chosen on the last 5,000 test images to keep
# clean >= 98.0%, attacks reported on the first 5,000.  Usage: commands.sh SEED [stage...]
# Stages: train noise choose adaptive (all by default). Every stage resumes.
set -euo pipefail
SEED=$1; shift
STAGES=${*:-train noise choose adaptive}
D=../shared/data/mnist; R=results/fc-paper-seeds/seed$SEED; M=$R/model/model.safetensors
S="node bin/sparsegrad.js"
for stage in $STAGES; do case $stage in
train)
  $S train --preset paper --seed $SEED --iterations 3000 --eval-every 1000 --data $D --no-progress --out $R/model < /dev/null ;;
noise)
  [ -f $R/noise/noise-t9-l0.2.json ] || $S noise --model $M --vectors study --seed $SEED --data $D --out $R/noise ;;
choose)
  $S sweep --model $M --data $D --method abs,act,combined,random --ratios 0:0.98:0.02 --validation 5000 \
    --validation-from test --clean-floor 0.98 --seed $SEED --out $R/choose-per-matrix < /dev/null
  $S sweep --model $M --data $D --method pixel-mask --scope layer:1 --ratios 0:0.9:0.02 --validation 5000 \
    --validation-from test --clean-floor 0.98 --seed $SEED --out $R/choose-pixel-mask < /dev/null
  : > $R/chosen.txt
  for f in per-matrix pixel-mask; do
    python3 - "$R/choose-$f/chosen.json" >> $R/chosen.txt <<'PY'
import json,sys
for c in json.load(open(sys.argv[1]))['chosen']: print(c['method'], c['scope'], c['ratio'])
PY
  done
  cat $R/chosen.txt ;;
adaptive)
  # The unpruned model once (with the first method), then each method at its own ratio.
  first=1
  while read -r method scope ratio; do
    if [ $first = 1 ]; then ratios="0,$ratio"; first=0; else ratios=$ratio; fi
    [ "$ratios" = "0,0" ] && ratios=0
    $S sweep --model $M --data $D --noise $R/noise/*.safetensors --method $method --scope $scope --ratios $ratios \
      --validation 5000 --validation-from test --adaptive-ratios all --adaptive-steps 150 --seed $SEED \
      --pgd 0.1 --pgd-steps 100 --pgd-loss ce,margin --pgd-images 500 --out $R/adaptive-$method < /dev/null
  done < $R/chosen.txt ;;
*) echo "unknown stage $stage" >&2; exit 2 ;;
esac; done
echo "seed $SEED: $STAGES done"
# Findings over the seeds done so far (seed 1: results/fc-paper/adaptive-2026-12-01, same protocol):
#   A1=results/fc-paper/adaptive-2026-12-01; A2=results/fc-paper-seeds/seed2
#   node bin/sparsegrad.js findings $A1/adaptive-{abs,act,combined,random,pixel-mask} $A2/adaptive-{abs,act,combined,random,pixel-mask} \
#     --out results/fc-paper-seeds/findings-seeds-1-2 --clean-floor 0.98
# Over seeds 1-3 (results/fc-paper-seeds/findings-seeds-1-3; per-vector.txt from its robustness.csv):
#   A3=results/fc-paper-seeds/seed3
#   node bin/sparsegrad.js findings $A1/adaptive-{abs,act,combined,random,pixel-mask} $A2/adaptive-{abs,act,combined,random,pixel-mask} \
#     $A3/adaptive-{abs,act,combined,random,pixel-mask} --out results/fc-paper-seeds/findings-seeds-1-3 --clean-floor 0.98
