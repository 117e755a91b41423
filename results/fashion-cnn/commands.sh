#!/usr/bin/env bash
# A CNN with max-pooling (examples/fashion-cnn.json: conv5x5x16-pool-conv5x5x32-pool-128-10)
# on Fashion-MNIST (Debian's dataset-fashion-mnist), softmax-CE, Adam 1e-3, dropout 0.3, batch 50.
set -euo pipefail
R=${R:-results/fashion-cnn}
node bin/sparsegrad.js train --model-config examples/fashion-cnn.json --data fashion-mnist --loss softmax-ce --batch 50 \
  --iterations 3000 --eval-every 500 --l2 0 --seed 1 --kernels rules --no-progress --out $R/model < /dev/null
# Then continued (the run resumes from its checkpoint) to 6,000 iterations, the learning rate
# stepped down to 1e-4 after iteration 4,500:
node bin/sparsegrad.js train --model-config examples/fashion-cnn.json --data fashion-mnist --loss softmax-ce --batch 50 \
  --iterations 6000 --lr-schedule 4500:1e-4 --eval-every 500 --l2 0 --seed 1 --kernels rules --no-progress --out $R/model < /dev/null
