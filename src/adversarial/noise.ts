import { Tensor, backward, tidy } from '../tensor/tensor.js';
import { add, clamp01, clampAbs } from '../ops/elementwise.js';
import { softmaxCrossEntropy, l2Penalty } from '../ops/composite.js';
import { ConfigError } from '../util/errors.js';
import { oneHot, type Dataset } from '../data/dataset.js';
import { Adam } from '../nn/adam.js';
import { IndexStream, seededRandom } from '../nn/random.js';
import { withFrozen, type FrozenClassifier } from './frozen.js';
import type { DeviceImages } from '../nn/batches.js';
import { deepFreeze } from '../util/freeze.js';

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

export const DEFAULT_NOISE: Omit<NoiseSettings, 'target' | 'limit'> = deepFreeze({
  steps: 500,
  batch: 64,
  lr: 1e-2,
  l2: 0.02,
  seed: 1,
});

/**
 * study: the recipe as published (penalty 0.02·½‖n‖²). On a pruned model the output margins
 * shrink and the fixed penalty can outweigh the cross-entropy, so the noise collapses towards
 * 0 (an attack failure, not robustness). no-penalty: the same optimisation without the
 * penalty, which cannot collapse; the limit alone bounds the noise.
 */
export const UNIVERSAL_RECIPES = deepFreeze({ study: { l2: 0.02 }, 'no-penalty': { l2: 0 } } as const);
export type UniversalRecipe = keyof typeof UNIVERSAL_RECIPES;

/** A universal noise whose mean |n| is below this share of its limit has collapsed: flagged as an attack failure. */
export const COLLAPSE_SHARE = 0.1;
export const meanAbs = (n: Float32Array): number => n.reduce((s, v) => s + Math.abs(v), 0) / n.length;
export const collapsed = (n: Float32Array, limit: number): boolean => meanAbs(n) < COLLAPSE_SHARE * limit;

export function validateNoise(s: NoiseSettings): NoiseSettings {
  if (!Number.isInteger(s.target) || s.target < 0)
    throw new ConfigError(`noise: target class ${s.target} must be a whole number >= 0`);
  if (!(s.limit > 0 && s.limit <= 1)) throw new ConfigError(`noise: limit ${s.limit} must be in (0, 1]`);
  for (const k of ['steps', 'batch'] as const)
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new ConfigError(`noise: ${k} ${s[k]} must be a positive integer`);
  if (!(s.lr > 0)) throw new ConfigError(`noise: lr ${s.lr} must be > 0`);
  if (!(s.l2 >= 0)) throw new ConfigError(`noise: l2 ${s.l2} must be ≥ 0`);
  return s;
}

/**
 * One noise image n (one value per pixel, from 0) optimised with Adam so that clip(x + n, 0, 1)
 * is classed as `target`: loss = mean CE(softmax(model(x + n)), target) + l2·½‖n‖², then n is
 * clipped to ±limit after every step. A linear-quadratic model's raw outputs are the logits
 * here. The gradient reaches n through the clip wherever 0 ≤ x + n ≤ 1 (bounds included, as in
 * TensorFlow, which the study used). Returns the noise (|n| ≤ limit).
 */
export async function makeNoise(
  model: FrozenClassifier,
  data: Dataset,
  s: NoiseSettings,
  onStep?: (step: number) => void,
  opts: NoiseOptions = {},
): Promise<Float32Array> {
  validateNoise(s);
  if (opts.images && opts.images.data !== data)
    throw new ConfigError('makeNoise: opts.images holds another dataset than the one given');
  return withFrozen(model, () => optimiseNoise(model, data, s, onStep, opts.images ?? null));
}

export interface NoiseOptions {
  /**
   * `data`'s images already on the GPU (`deviceImagesFor`): each step then uploads its batch's
   * indices, not its images. The same batches and bits either way.
   */
  images?: DeviceImages | null;
}

async function optimiseNoise(
  model: FrozenClassifier,
  data: Dataset,
  s: NoiseSettings,
  onStep: ((step: number) => void) | undefined,
  images: DeviceImages | null,
): Promise<Float32Array> {
  const noise = Tensor.zeros([1, data.pixels], true, model.backend).keep();
  const adam = new Adam([noise], { lr: s.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const made: { targets?: Tensor } = {}; // [batch, classes]: the model's output width, known at the first step
  const indices = new IndexStream(data.count, seededRandom(s.seed));
  const x = images ? null : new Float32Array(s.batch * data.pixels);
  const rows = new Float32Array(s.batch);
  try {
    for (let step = 1; step <= s.steps; step++) {
      for (let b = 0; b < s.batch; b++) {
        const i = indices.next();
        rows[b] = i;
        x?.set(data.images.subarray(i * data.pixels, (i + 1) * data.pixels), b * data.pixels);
      }
      tidy(() => {
        const xs = images
          ? images.take(Tensor.fromArray(rows, [s.batch], false, model.backend))
          : Tensor.fromArray(x!, [s.batch, data.pixels], false, model.backend);
        const logits = model.forward(clamp01(add(xs, noise)), { train: false });
        const classes = logits.shape[1];
        if (s.target >= classes)
          throw new ConfigError(
            `noise: target class ${s.target}, but the model has ${classes} classes (0–${classes - 1})`,
          );
        made.targets ??= Tensor.fromArray(
          oneHot(new Array(s.batch).fill(s.target), classes),
          [s.batch, classes],
          false,
          model.backend,
        ).keep();
        const ce = softmaxCrossEntropy(logits, made.targets);
        const loss = s.l2 > 0 ? add(ce, l2Penalty([noise], s.l2)) : ce;
        backward(loss);
        adam.update();
        const clipped = clampAbs(noise, s.limit);
        model.backend.runner.copy(clipped.buffer, noise.buffer, noise.byteSize);
      });
      if (step % 50 === 0) await model.backend.sync();
      onStep?.(step);
    }
    return await noise.read();
  } finally {
    adam.dispose();
    noise.dispose();
    made.targets?.dispose();
  }
}
