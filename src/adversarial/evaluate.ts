import { Tensor } from '../tensor/tensor.js';
import { add, clamp01 } from '../ops/elementwise.js';
import { EVAL_BATCH, predict, type Classifier } from '../nn/evaluate.js';
import { classCount, type Dataset } from '../data/dataset.js';

export interface NoiseVector {
  target: number;
  limit: number;
  noise: Float32Array;
  name: string;
}

export interface Robustness {
  noise: string;
  target: number | null;
  limit: number | null;
  accuracy: number;
  /** Share of all test images classified as the target (null for clean data). */
  foolingRate: number | null;
  /** Share of images not of the target class that are classified as the target. */
  foolingRateNonTarget: number | null;
  perClassAccuracy: number[];
}

/** Accuracy on clean data and under each noise vector (x + n clipped to [0, 1]); `onPredictions` sees each vector's per-image predictions. */
export async function robustness(
  model: Classifier,
  data: Dataset,
  noises: NoiseVector[],
  onPredictions?: (noise: string, preds: Uint8Array) => void,
): Promise<Robustness[]> {
  const out: Robustness[] = [summarise('clean', null, null, await predict(model, data), data)];
  for (const v of noises) {
    const n = Tensor.fromArray(v.noise, [1, data.pixels], false, model.backend);
    const preds = await predict(model, data, EVAL_BATCH, (x) => clamp01(add(x, n)));
    n.dispose();
    onPredictions?.(v.name, preds);
    out.push(summarise(v.name, v.target, v.limit, preds, data));
  }
  return out;
}

export function summarise(
  name: string,
  target: number | null,
  limit: number | null,
  preds: Uint8Array,
  data: Dataset,
): Robustness {
  let right = 0,
    fooled = 0,
    nonTarget = 0,
    fooledNonTarget = 0;
  const classes = Math.max(
    classCount(data),
    preds.reduce((m, p) => Math.max(m, p + 1), 0),
  );
  const perClass = new Array(classes).fill(0),
    perClassN = new Array(classes).fill(0);
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i];
    perClassN[y]++;
    if (preds[i] === y) {
      right++;
      perClass[y]++;
    }
    if (target !== null) {
      if (preds[i] === target) fooled++;
      if (y !== target) {
        nonTarget++;
        if (preds[i] === target) fooledNonTarget++;
      }
    }
  }
  return {
    noise: name,
    target,
    limit,
    accuracy: right / data.count,
    foolingRate: target === null ? null : fooled / data.count,
    foolingRateNonTarget: target === null ? null : fooledNonTarget / Math.max(nonTarget, 1),
    perClassAccuracy: perClass.map((c, k) => c / Math.max(perClassN[k], 1)),
  };
}
