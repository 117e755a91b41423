import { Tensor, tidy } from '../tensor/tensor.js';
import { add, unaryOp } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Dataset } from '../data/dataset.js';
import { inputSize, type Traceable } from '../nn/layer-spec.js';
import { permutation, seededRandom } from '../nn/random.js';

/** Per weight layer, the mean over calibration images of each input element x_j and of |x_j| (conv: per input pixel). */
export interface InputStats {
  mean: Float32Array[];
  meanAbs: Float32Array[];
  samples: number;
  indices: number[];
}

/** `count` images drawn without replacement from `data` with a seed (the study: 2,000 random test images). */
export function calibrationIndices(data: Dataset, count: number, seed: number): number[] {
  return [...permutation(data.count, seededRandom(seed ^ 0x5eed)).subarray(0, Math.min(count, data.count))];
}

/** One pass over the calibration images: column sums of every layer input, summed on the GPU, read once. */
export async function layerInputStats(
  model: Traceable,
  data: Dataset,
  indices: number[],
  batch = 500,
): Promise<InputStats> {
  const layers = model.layers;
  const sums = layers.map((l) => Tensor.zeros([inputSize(l)], false, model.backend).keep());
  const absSums = layers.map((l) => Tensor.zeros([inputSize(l)], false, model.backend).keep());
  const x = new Float32Array(batch * data.pixels);
  for (let start = 0; start < indices.length; start += batch) {
    const n = Math.min(batch, indices.length - start);
    for (let b = 0; b < n; b++)
      x.set(
        data.images.subarray(indices[start + b] * data.pixels, (indices[start + b] + 1) * data.pixels),
        b * data.pixels,
      );
    tidy(() => {
      const { layerInputs } = model.forwardTrace(
        Tensor.fromArray(x.subarray(0, n * data.pixels), [n, data.pixels], false, model.backend),
        {
          train: false,
        },
      );
      layerInputs.forEach((h, i) => {
        const flat = h.reshape([n, h.size / n]);
        const s = add(sums[i], sum(flat, 0));
        const a = add(absSums[i], sum(unaryOp('abs', flat), 0));
        sums[i].dispose();
        absSums[i].dispose();
        sums[i] = s.keep();
        absSums[i] = a.keep();
      });
    });
  }
  const n = indices.length;
  const mean = await Promise.all(sums.map(async (t) => (await t.read()).map((v) => v / n)));
  const meanAbs = await Promise.all(absSums.map(async (t) => (await t.read()).map((v) => v / n)));
  [...sums, ...absSums].forEach((t) => t.dispose());
  return { mean, meanAbs, samples: n, indices };
}
