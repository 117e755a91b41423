import { Tensor, backward, tidy } from '../tensor/tensor.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { ConfigError } from '../util/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import type { TrainConfig } from '../nn/config.js';
import { Adam } from '../nn/adam.js';
import { batchesFor } from '../nn/batches.js';
import { dataLoss } from '../nn/train.js';
import { adversarialBatch } from '../adversarial/training.js';
import type { AdversarialSpec } from '../nn/config.js';
import { withFrozen } from '../adversarial/frozen.js';
import { topMask } from './top-mask.js';

/**
 * A HYDRA-style pruning mask (Sehwag et al. 2020): an importance score per weight, initialised
 * from |w| (scaled per matrix by √(6/fan-in)/max|w|), optimised with the weights frozen on the
 * adversarial loss of the pruned network: each step keeps the top (1 − ratio) of every matrix's
 * scores, the forward pass (without dropout) uses w·mask, and the gradient reaches the scores straight through the
 * mask (d loss/d s = d loss/d(w·mask) · w). With 0 steps the mask is magnitude pruning's.
 */
export interface HydraSpec {
  /** Share of each weight matrix pruned. */
  ratio: number;
  /** Score-optimisation steps. */
  steps: number;
  /** Adam's learning rate for the scores (HYDRA: 0.1 with SGD; Adam's scale differs). */
  lr: number;
  /** The attack the loss is taken under (null: the natural loss). */
  adversarial: AdversarialSpec | null;
  batch: number;
  seed: number;
}

/** w · (s + (mask − s) without gradient): the mask forward, the identity to the scores backward. */
export function straightThroughMasked(w: Tensor, s: Tensor, mask: Float32Array): Tensor {
  return mul(w, add(s, sub(Tensor.fromArray(mask, [...s.shape], false, s.backend), s.detach())));
}

/** The masks (1 kept, 0 pruned, per weight matrix) HYDRA's scores choose on `train`. */
export async function hydraMasks(
  model: Model,
  config: TrainConfig,
  train: Dataset,
  spec: HydraSpec,
): Promise<Float32Array[]> {
  if (!(spec.ratio >= 0 && spec.ratio < 1)) throw new ConfigError(`hydra: ratio ${spec.ratio} must be in [0, 1)`);
  const be = model.backend;
  const weights = await Promise.all(model.weights.map((w) => w.read()));
  const keeps = weights.map((w) => Math.round((1 - spec.ratio) * w.length));
  const scores = weights.map((w, i) => {
    const fanIn = model.weights[i].size / model.weights[i].shape[0];
    const top = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    const scale = Math.sqrt(6 / fanIn) / top;
    return Tensor.fromArray(
      w.map((v) => Math.abs(v) * scale),
      [...model.weights[i].shape],
      true,
      be,
    ).keep();
  });
  const adam = new Adam(scores, { lr: spec.lr });
  const batches = batchesFor(train, spec.batch, spec.seed, undefined, 'auto', be);
  const loss = (y: Tensor, t: Parameters<typeof dataLoss>[2]) => dataLoss(config, y, t);
  // The weights stay as they are: only the scores learn.
  return withFrozen(model, async () => {
    try {
      for (let it = 1; it <= spec.steps; it++) {
        const masks = await Promise.all(scores.map(async (s, i) => topMask(await s.read(), keeps[i])));
        tidy(() => {
          const effective = scores.map((s, i) => straightThroughMasked(model.weights[i], s, masks[i]));
          const pruned = model.withWeights(effective);
          const { x, t } = batches.next();
          const input = spec.adversarial ? adversarialBatch(pruned, spec.adversarial, loss, x, t, spec.seed, it) : x;
          backward(loss(pruned.forward(input, { train: false }), t));
          adam.update();
        });
      }
      return await Promise.all(scores.map(async (s, i) => topMask(await s.read(), keeps[i])));
    } finally {
      batches.dispose();
      adam.dispose();
      scores.forEach((s) => s.dispose());
    }
  });
}
