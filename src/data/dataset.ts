import { DataError } from '../util/errors.js';
import type { IdxArray } from './idx.js';

/** Images as float pixels in [0,1], row-major [n, pixels]; labels 0, 1, … (one per class). */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** Values per image: the product of `shape`. */
  pixels: number;
  /** One image as [channels, height, width] (MNIST: [1, 28, 28]). */
  shape: readonly number[];
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
  if (labels.dims[0] !== n)
    throw new DataError(`${labelFile}: ${labels.dims[0]} labels for ${n} images in ${imageFile}`);
  const images01 = new Float32Array(images.data.length);
  for (let i = 0; i < images01.length; i++) images01[i] = images.data[i] / 255;
  return {
    images: images01,
    labels: labels.data.slice(),
    count: n,
    pixels: rows * cols,
    shape: [1, rows, cols],
    source: imageFile,
  };
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

/** Classes of a labelled data set: its largest label + 1 (10 for MNIST and Fashion-MNIST). */
export function classCount(data: Dataset): number {
  let top = 0;
  for (let i = 0; i < data.count; i++) if (data.labels[i] > top) top = data.labels[i];
  return top + 1;
}

/** The classes a model is trained on: the training labels' (test labels outside them are an error). */
export function splitClasses(split: { train: Dataset; test: Dataset }, stated?: number): number {
  const classes = classCount(split.train);
  if (stated !== undefined) {
    const top = Math.max(classes, classCount(split.test));
    if (top > stated)
      throw new DataError(`${split.train.source}: label ${top - 1}, but the model has ${stated} classes`);
    return stated;
  }
  const test = classCount(split.test);
  if (test > classes)
    throw new DataError(`${split.test.source}: label ${test - 1}, but the training labels are 0–${classes - 1}`);
  // Classes are 0..K−1, each with training images: a class with none is a stray label (one
  // label 200 among digits would otherwise make a 201-class model).
  const seen = new Uint8Array(classes);
  for (let i = 0; i < split.train.count; i++) seen[split.train.labels[i]] = 1;
  const missing = [...seen.keys()].filter((c) => !seen[c]);
  if (missing.length)
    throw new DataError(
      `${split.train.source}: labels run 0–${classes - 1} but ${missing.length} of those classes have no training image (${missing.length > 6 ? `${missing.slice(0, 3).join(', ')}, …, ${missing[missing.length - 1]}` : missing.join(', ')}): a stray label? relabel the data, or state the class count (config classes)`,
    );
  return classes;
}

/** One-hot float rows [n, classes]. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}
