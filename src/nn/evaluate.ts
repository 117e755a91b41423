import type { Backend } from '../gpu/backend.js';
import { DataError } from '../util/errors.js';
import { Tensor, tidy } from '../tensor/tensor.js';
import { argmax } from '../ops/argmax.js';
import type { Dataset } from '../data/dataset.js';

export interface Classifier {
  /** The backend its parameters live on (inputs are uploaded there). */
  readonly backend: Backend;
  forward(x: Tensor, opts: { train: boolean }): Tensor;
}

/** Images per forward pass when evaluating: what sweeps time their kernel choice for. */
export const EVAL_BATCH = 1000;

/** Predicted class of every example: batched on the GPU, one readback at the end. */
export async function predict(
  model: Classifier,
  data: Dataset,
  batch = EVAL_BATCH,
  transform?: (x: Tensor) => Tensor,
): Promise<Uint8Array> {
  const be = model.backend;
  const preds = Tensor.empty(be, [data.count], 'predictions');
  for (let start = 0; start < data.count; start += batch) {
    const n = Math.min(batch, data.count - start);
    tidy(() => {
      let x = Tensor.fromArray(
        data.images.subarray(start * data.pixels, (start + n) * data.pixels),
        [n, data.pixels],
        false,
        be,
      );
      if (transform) x = transform(x);
      const p = argmax(model.forward(x, { train: false }));
      be.runner.copy(p.buffer, preds.buffer, n * 4, 0, start * 4);
    });
  }
  const out = await preds.read();
  preds.dispose();
  return Uint8Array.from(out);
}

export async function accuracy(model: Classifier, data: Dataset, batch = EVAL_BATCH): Promise<number> {
  if (data.count === 0) throw new DataError(`${data.source}: no images to evaluate on (an empty set has no accuracy)`);
  const p = await predict(model, data, batch);
  let right = 0;
  for (let i = 0; i < data.count; i++) if (p[i] === data.labels[i]) right++;
  return right / data.count;
}
