#!/usr/bin/env bash
# Paper FC model (results/fc-paper, trained on all 60,000 training images): ratios chosen on the
# last 5,000 test images (clean >= 98.0%), attacks reported on the first 5,000.
set -euo pipefail
M=results/fc-paper/model.safetensors; D=../shared/data/mnist; R=results/fc-paper/adaptive-2026-12-01
S="node bin/sparsegrad.js"
[ -f $R/noise/noise-t9-l0.2.json ] || $S noise --model $M --vectors study --data $D --out $R/noise
$S sweep --model $M --data $D --method abs,act,combined,random --ratios 0:0.98:0.02 --validation 5000 --validation-from test --clean-floor 0.98 --out $R/choose-per-matrix
$S sweep --model $M --data $D --method pixel-mask --scope layer:1 --ratios 0:0.9:0.02 --validation 5000 --validation-from test --clean-floor 0.98 --out $R/choose-pixel-mask
for f in per-matrix pixel-mask; do
  python3 - "$R/choose-$f/chosen.json" >> $R/chosen.txt <<'PY'
import json,sys
for c in json.load(open(sys.argv[1]))['chosen']: print(c['method'], c['scope'], c['ratio'])
PY
done
cat $R/chosen.txt
# The unpruned model once (with abs), then each method at its own ratio.
first=1
while read -r method scope ratio; do
  if [ $first = 1 ]; then ratios="0,$ratio"; first=0; else ratios=$ratio; fi
  [ "$ratios" = "0,0" ] && ratios=0
  $S sweep --model $M --data $D --noise $R/noise/*.safetensors --method $method --scope $scope --ratios $ratios \
    --validation 5000 --validation-from test --adaptive-ratios all --adaptive-steps 150 \
    --pgd 0.1 --pgd-steps 100 --pgd-loss ce,margin --pgd-images 500 --out $R/adaptive-$method < /dev/null
done < $R/chosen.txt
echo ALL DONE
