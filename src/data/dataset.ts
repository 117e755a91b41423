import { DataError } from '../gpu/errors';
import type { IdxArray } from './idx';

/** Images as float pixels in [0,1], row-major [n, 784]; labels 0–9. */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  pixels: number;
  source: string;
}

export interface Split {
  train: Dataset;
  test: Dataset;
  name: string;
}

export function fromIdx(images: IdxArray, labels: IdxArray, imageFile: string, labelFile: string): Dataset {
  if (images.dims.length !== 3)
    throw new DataError(`${imageFile}: expected 3 dimensions [n, rows, cols], got [${images.dims.join(',')}]`);
  if (labels.dims.length !== 1)
    throw new DataError(`${labelFile}: expected 1 dimension [n], got [${labels.dims.join(',')}]`);
  const [n, rows, cols] = images.dims;
  if (rows !== 28 || cols !== 28)
    throw new DataError(`${imageFile}: images are ${rows}x${cols}, the models expect 28x28`);
  if (labels.dims[0] !== n)
    throw new DataError(`${labelFile}: ${labels.dims[0]} labels for ${n} images in ${imageFile}`);
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new DataError(`${labelFile}: label ${labels.data[bad]} at index ${bad} is not a digit 0–9`);
  const images01 = new Float32Array(images.data.length);
  for (let i = 0; i < images01.length; i++) images01[i] = images.data[i] / 255;
  return { images: images01, labels: labels.data.slice(), count: n, pixels: rows * cols, source: imageFile };
}

/** The first `count` examples (e.g. a small test subset). */
export function take(d: Dataset, count: number): Dataset {
  const n = Math.min(count, d.count);
  return {
    ...d,
    images: d.images.subarray(0, n * d.pixels),
    labels: d.labels.subarray(0, n),
    count: n,
    source: `${d.source}[:${n}]`,
  };
}

/** The examples from `start` on. */
export function skip(d: Dataset, start: number): Dataset {
  const k = Math.min(start, d.count);
  return {
    ...d,
    images: d.images.subarray(k * d.pixels),
    labels: d.labels.subarray(k),
    count: d.count - k,
    source: `${d.source}[${k}:]`,
  };
}

/**
 * A validation split held out from the training images: the first `count` of them (as
 * TensorFlow 1's MNIST reader held out 5,000 of 60,000), the rest stay for training. Ratios
 * and thresholds are chosen on it; the test set only reports.
 */
export function holdOut(train: Dataset, count: number): { train: Dataset; validation: Dataset } {
  if (!(count > 0 && count < train.count))
    throw new DataError(`validation split of ${count} images: the training set has ${train.count}`);
  return { validation: take(train, count), train: skip(train, count) };
}

/** One-hot float rows [n, 10]. */
export function oneHot(labels: ArrayLike<number>, classes = 10): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}
