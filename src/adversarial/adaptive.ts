import { Tensor } from '../tensor/tensor.js';
import { add, clamp01 } from '../ops/elementwise.js';
import { EVAL_BATCH, predict } from '../nn/evaluate.js';
import { take, type Dataset } from '../data/dataset.js';
import { deviceImagesFor } from '../nn/batches.js';
import { makeNoise, DEFAULT_NOISE, UNIVERSAL_RECIPES, collapsed, meanAbs, type UniversalRecipe } from './noise.js';
import { runAttackSuite, suiteAttacks, type AttackSuite } from './suite.js';
import type { NoiseVector } from './evaluate.js';
import type { FrozenClassifier } from './frozen.js';

/**
 * Attacks made on each pruned model itself (Athalye et al. 2018; Tramèr et al. 2020): universal
 * noise re-optimised with each recipe for every vector (target/limit) of the transferred noise,
 * and per-image PGD. Robustness is the worst case over what was tried.
 */
export interface AdaptiveSpec {
  /** The ratios at which to attack ('all': every ratio of the sweep). */
  ratios: number[] | 'all';
  recipes: UniversalRecipe[];
  noiseSteps: number;
  noiseSeed: number;
  /** Per-image attacks (null: none). */
  pgd: AttackSuite | null;
  /** PGD on the first n test images only (null: all). */
  pgdImages: number | null;
}

export const adaptiveAt = (a: AdaptiveSpec | undefined, ratio: number): boolean =>
  !!a && (a.ratios === 'all' || a.ratios.includes(ratio));

const pgdRowCount = (s: AttackSuite): number => {
  const n = suiteAttacks(s, 0.1).length;
  return s.epsilons.length * (n + (n > 1 ? 1 : 0));
};

/** Rows adaptiveRows writes: per vector one per recipe and one worst case; then the PGD rows. */
export const adaptiveRowCount = (a: AdaptiveSpec, noises: number): number =>
  (a.recipes.length ? noises * (a.recipes.length + 1) : 0) + (a.pgd ? pgdRowCount(a.pgd) : 0);

/** What an adaptive row adds to a sweep row's unit fields. */
export interface AdaptiveRow {
  noise: string;
  target: number | null;
  limit: number | null;
  accuracy: number;
  foolingRate: number | null;
  attack: string;
  split: 'test';
  noiseMeanAbs: number | null;
  flags: string;
}

/** Flags that mark an attack failure rather than robustness. */
export function attackFlags(o: {
  accuracy: number;
  transferAccuracy: number | null;
  noise?: Float32Array;
  limit?: number;
}): string {
  const flags: string[] = [];
  if (o.noise && o.limit !== undefined && collapsed(o.noise, o.limit)) flags.push('collapsed');
  if (o.transferAccuracy !== null && o.accuracy > o.transferAccuracy) flags.push('weaker-than-transfer');
  return flags.join(';');
}

const noisyPredictions = (model: FrozenClassifier, test: Dataset, noise: Float32Array): Promise<Uint8Array> => {
  const n = Tensor.fromArray(noise, [1, test.pixels], false, model.backend);
  return predict(model, test, EVAL_BATCH, (x) => clamp01(add(x, n))).finally(() => n.dispose());
};

/**
 * The adaptive rows for one pruned model. `transfer` holds, per vector, the predictions under the
 * transferred noise: an adaptive noise that leaves more images right than transfer is flagged,
 * and the worst case per image takes transfer in too. `recipes` maps recipe names to settings
 * (tests construct failures through it).
 */
export async function adaptiveRows(
  model: FrozenClassifier,
  a: AdaptiveSpec,
  data: { train: Dataset; test: Dataset },
  noises: NoiseVector[],
  transfer: Map<string, Uint8Array>,
  recipes: Record<UniversalRecipe, { l2: number }> = UNIVERSAL_RECIPES,
): Promise<AdaptiveRow[]> {
  const rows: AdaptiveRow[] = [];
  const test = data.test;
  const rate = (preds: Uint8Array, ok: (p: number, i: number) => boolean) => {
    let k = 0;
    for (let i = 0; i < test.count; i++) if (ok(preds[i], i)) k++;
    return k / test.count;
  };
  // One upload of the training images serves every vector and recipe below.
  const trainImages = a.recipes.length && noises.length ? deviceImagesFor(data.train) : null;
  try {
    if (a.recipes.length)
      for (const v of noises) {
        const before = transfer.get(v.name) ?? null;
        const transferAccuracy = before ? rate(before, (p, i) => p === test.labels[i]) : null;
        const robust = Uint8Array.from(test.labels, (y, i) => (before ? Number(before[i] === y) : 1));
        const fooled = Uint8Array.from(test.labels, (_, i) => (before ? Number(before[i] === v.target) : 0));
        for (const recipe of a.recipes) {
          const noise = await makeNoise(
            model,
            data.train,
            {
              ...DEFAULT_NOISE,
              ...recipes[recipe],
              steps: a.noiseSteps,
              seed: a.noiseSeed,
              target: v.target,
              limit: v.limit,
            },
            undefined,
            { images: trainImages },
          );
          const preds = await noisyPredictions(model, test, noise);
          preds.forEach((p, i) => {
            if (p !== test.labels[i]) robust[i] = 0;
            if (p === v.target) fooled[i] = 1;
          });
          const accuracy = rate(preds, (p, i) => p === test.labels[i]);
          rows.push({
            noise: v.name,
            target: v.target,
            limit: v.limit,
            accuracy,
            foolingRate: rate(preds, (p) => p === v.target),
            attack: `universal:${recipe}`,
            split: 'test',
            noiseMeanAbs: meanAbs(noise),
            flags: attackFlags({ accuracy, transferAccuracy, noise, limit: v.limit }),
          });
        }
        rows.push({
          noise: v.name,
          target: v.target,
          limit: v.limit,
          accuracy: rate(robust, (r) => r === 1),
          foolingRate: rate(fooled, (f) => f === 1),
          attack: 'worst',
          split: 'test',
          noiseMeanAbs: null,
          flags: '',
        });
      }
  } finally {
    trainImages?.dispose();
  }
  if (a.pgd) {
    const images = a.pgdImages ? take(test, a.pgdImages) : test;
    for (const r of await runAttackSuite(model, images, a.pgd))
      rows.push({
        noise: `pgd ε=${r.epsilon}`,
        target: a.pgd.target,
        limit: r.epsilon,
        accuracy: r.accuracy,
        foolingRate: r.targetRate,
        attack: r.attack === 'worst' ? 'worst' : r.attack,
        split: 'test',
        noiseMeanAbs: null,
        flags: '',
      });
  }
  return rows;
}
