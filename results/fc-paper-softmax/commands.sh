#!/usr/bin/env bash
# The paper FC model's softmax-CE twin: the same architecture, data (all 60,000 training images),
# settings (paper preset: Adam 1e-3, dropout 0.7, L2 1e-4, batch 250) and seed as
# results/fc-paper (3,000 iterations), trained with softmax + cross-entropy instead of the
# quadratic cost; then detection as for the linear-quadratic model (results/detect-fc-paper),
# with noise made on this model (the 8 study vectors).
set -euo pipefail
R=${R:-results/fc-paper-softmax}; D=../shared/data/mnist; S="node bin/sparsegrad.js"
$S train --preset paper --loss softmax-ce --seed 1 --iterations 3000 --eval-every 1000 --data $D --kernels rules --no-progress --out $R/model < /dev/null
[ -f $R/noise/noise-t9-l0.2.json ] || $S noise --model $R/model/model.safetensors --vectors study --data $D --out $R/noise
$S detect --model $R/model/model.safetensors --data $D --noise $R/noise/*.safetensors --pgd 0.1 --pgd-steps 40 --aware 0.01,0.1,1 --aware-toward top \
  --validation 1000 --test-images 2000 --out ${DETECT:-results/detect-fc-paper}/softmax
