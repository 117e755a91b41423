import { Tensor, backward, tidy } from '../tensor/tensor';
import { add, clamp01, clampAbs } from '../ops/elementwise';
import { softmaxCrossEntropy, l2Penalty } from '../ops/composite';
import { runner } from '../gpu/runner';
import { ConfigError } from '../gpu/errors';
import { oneHot, type Dataset } from '../data/dataset';
import { Adam } from '../nn/adam';
import { IndexStream, seededRandom } from '../nn/random';
import type { Classifier } from '../nn/evaluate';

/** Hvass-Labs' universal noise (tutorials 11–12), as the study used it. */
export interface NoiseSettings {
  target: number;
  /** Largest |n| allowed per pixel, after every step. */
  limit: number;
  steps: number;
  batch: number;
  lr: number;
  /** Weight of ½‖n‖² in the loss. */
  l2: number;
  seed: number;
}

export const DEFAULT_NOISE: Omit<NoiseSettings, 'target' | 'limit'> = { steps: 500, batch: 64, lr: 1e-2, l2: 0.02, seed: 1 };

export function validateNoise(s: NoiseSettings): NoiseSettings {
  if (!Number.isInteger(s.target) || s.target < 0 || s.target > 9) throw new ConfigError(`noise: target class ${s.target} is not a digit 0–9`);
  if (!(s.limit > 0 && s.limit <= 1)) throw new ConfigError(`noise: limit ${s.limit} must be in (0, 1]`);
  for (const k of ['steps', 'batch'] as const) if (!Number.isInteger(s[k]) || s[k] < 1) throw new ConfigError(`noise: ${k} ${s[k]} must be a positive integer`);
  if (!(s.lr > 0)) throw new ConfigError(`noise: lr ${s.lr} must be > 0`);
  if (!(s.l2 >= 0)) throw new ConfigError(`noise: l2 ${s.l2} must be ≥ 0`);
  return s;
}

/** Something whose weights can be frozen: only the noise is optimised. */
export interface FrozenClassifier extends Classifier { params: { tensor: Tensor }[] }

/**
 * One noise image n (28×28, from 0) optimised with Adam so that clip(x + n, 0, 1) is classed
 * as `target`: loss = mean CE(softmax(model(x + n)), target) + l2·½‖n‖², then n is clipped to
 * ±limit after every step. A linear-quadratic model's raw outputs are the logits here.
 * Returns the noise (784 values, |n| ≤ limit).
 */
export async function makeNoise(model: FrozenClassifier, data: Dataset, s: NoiseSettings, onStep?: (step: number) => void): Promise<Float32Array> {
  validateNoise(s);
  const frozen = model.params.map((p) => p.tensor.requiresGrad);
  model.params.forEach((p) => (p.tensor.requiresGrad = false));
  const noise = Tensor.zeros([1, data.pixels], true).keep();
  const adam = new Adam([noise], { lr: s.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const targets = Tensor.fromArray(oneHot(new Array(s.batch).fill(s.target)), [s.batch, 10]).keep();
  const indices = new IndexStream(data.count, seededRandom(s.seed));
  const x = new Float32Array(s.batch * data.pixels);
  try {
    for (let step = 1; step <= s.steps; step++) {
      for (let b = 0; b < s.batch; b++) {
        const i = indices.next();
        x.set(data.images.subarray(i * data.pixels, (i + 1) * data.pixels), b * data.pixels);
      }
      tidy(() => {
        const xs = Tensor.fromArray(x, [s.batch, data.pixels]);
        const logits = model.forward(clamp01(add(xs, noise)), { train: false });
        const loss = add(softmaxCrossEntropy(logits, targets), l2Penalty([noise], s.l2));
        backward(loss);
        adam.update();
        const clipped = clampAbs(noise, s.limit);
        runner.copy(clipped.buffer, noise.buffer, noise.byteSize);
      });
      if (step % 50 === 0) await runner.sync();
      onStep?.(step);
    }
    return await noise.read();
  } finally {
    model.params.forEach((p, i) => (p.tensor.requiresGrad = frozen[i]));
    adam.dispose();
    noise.dispose();
    targets.dispose();
  }
}
