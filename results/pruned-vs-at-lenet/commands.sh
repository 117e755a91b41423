#!/usr/bin/env bash
# Issue 30 (a) and (b) on LeNet-300-100 (linear-quadratic, full MNIST, 3,000 iterations): pruning
# the naturally trained model against adversarial training, at matched clean accuracy. Each
# method's ratio is chosen as in the study (abs, act, combined, random per matrix on ratios 0–0.98,
# the pixel mask on layer 1 on 0–0.9: the largest ratio keeping clean accuracy on the last 5,000
# test images >= 97.0%, the adversarially trained model's clean accuracy); each chosen
# model is then attacked with PGD-40 at ε = 0.1 (CE and margin) on the first 2,000 test images
# and certified (IBP, CROWN) at ε = 0.01 and 0.05 on the first 500.  The natural and FGSM-RS
# models come from results/adversarial-lenet.  Usage: commands.sh SEED
set -euo pipefail
SEED=$1; D=../shared/data/mnist; S="node bin/sparsegrad.js"; R=results/pruned-vs-at-lenet/seed$SEED
A=results/adversarial-lenet; [ "$SEED" != 1 ] && A=$A/seed$SEED
M=$A/natural/model.safetensors
[ -f $R/choose/chosen.json ] || $S sweep --model $M --data $D --method abs,act,combined,random --ratios 0:0.98:0.02 \
  --validation 5000 --validation-from test --clean-floor 0.97 --seed $SEED --out $R/choose < /dev/null
[ -f $R/choose-pixel-mask/chosen.json ] || $S sweep --model $M --data $D --method pixel-mask --scope layer:1 \
  --ratios 0:0.9:0.02 --validation 5000 --validation-from test --clean-floor 0.97 --seed $SEED \
  --out $R/choose-pixel-mask < /dev/null
python3 - $R/choose/chosen.json $R/choose-pixel-mask/chosen.json > $R/chosen.txt <<'PY'
import json,sys
for f in sys.argv[1:]:
    for c in json.load(open(f))['chosen']: print(c['method'], c['scope'], c['ratio'])
PY
cat $R/chosen.txt
measure() { # model name
  [ -f $R/certify-$2.json ] || [ -f $R/certify-$2.json.gz ] && return
  $S eval --model $1 --data $D --test-images 2000 --pgd 0.1 --pgd-steps 40 --pgd-loss ce,margin --force \
    --out $R/eval-$2.json < /dev/null
  $S certify --model $1 --data $D --test-images 500 --eps 0.01,0.05 --pgd-steps 40 --seed $SEED --force \
    --out $R/certify-$2.json < /dev/null
}
measure $M natural
measure $A/fgsm-rs/model.safetensors fgsm-rs
while read -r method scope ratio; do
  n=$method-$ratio
  [ -f $R/certify-$n.json ] || [ -f $R/certify-$n.json.gz ] && continue
  $S prune --model $M --method $method --scope $scope --ratio $ratio --seed $SEED --data $D --force \
    --out /tmp/pruned-vs-at-$n.safetensors < /dev/null
  measure /tmp/pruned-vs-at-$n.safetensors $n
  rm -f /tmp/pruned-vs-at-$n.safetensors
done < $R/chosen.txt
