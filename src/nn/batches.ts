import { Tensor } from '../tensor/tensor.js';
import { gatherRows } from '../ops/gather_rows.js';
import { bindingLimit } from '../gpu/device.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { classCount, type Dataset } from '../data/dataset.js';
import { ConfigError } from '../util/errors.js';
import { IndexStream, seededRandom } from './random.js';

/**
 * Where a training step's batch is assembled:
 * - `device`: the training set is uploaded once and each batch gathered on the GPU, so a step
 *   uploads its indices (B floats) instead of its images (B × pixels);
 * - `host`: each batch is copied on the CPU and uploaded;
 * - `auto`: `device` when the set fits one storage binding and DEVICE_DATA_BUDGET.
 * Both draw the same indices in the same order and give the same bits.
 */
export type BatchSource = 'auto' | 'device' | 'host';

/** GPU memory a training set may take to be held there under `auto`. */
export const DEVICE_DATA_BUDGET = 2 ** 30;

export interface Batches {
  readonly where: 'device' | 'host';
  /** The next batch as tensors of the current tidy scope: images [B, pixels], one-hot targets [B, classes]. */
  next(): { x: Tensor; t: Tensor };
  /** Advances exactly as next() does, touching no data (for resuming). */
  skip(): void;
  dispose(): void;
}

/** Mini-batches from a seeded permutation, epoch after epoch. */
export function batchesFor(
  data: Dataset,
  batch: number,
  seed: number,
  classes = classCount(data),
  where: BatchSource = 'auto',
  backend: Backend = defaultBackend(),
): Batches {
  const onDevice = where === 'device' || (where === 'auto' && fitsOnDevice(backend, data, classes));
  return onDevice
    ? new DeviceBatches(backend, data, batch, seed, classes)
    : new HostBatches(backend, data, batch, seed, classes);
}

/** Whether `auto` holds this set (and its one-hot targets over `classes`) on the GPU. */
function fitsOnDevice(be: Backend, data: Dataset, classes = 0): boolean {
  const images = data.count * data.pixels * 4;
  const targets = data.count * classes * 4;
  return Math.max(images, targets) <= bindingLimit(be.gpu) && images + targets <= DEVICE_DATA_BUDGET;
}

/** The batch order: both sources draw from the same stream. */
function indexStream(data: Dataset, seed: number): IndexStream {
  return new IndexStream(data.count, seededRandom(seed ^ 0x9e3779b9));
}

class HostBatches implements Batches {
  readonly where = 'host';
  private indices: IndexStream;
  private x: Float32Array;
  private t: Float32Array;
  constructor(
    private be: Backend,
    private data: Dataset,
    private batch: number,
    seed: number,
    private classes: number,
  ) {
    this.indices = indexStream(data, seed);
    this.x = new Float32Array(batch * data.pixels);
    this.t = new Float32Array(batch * classes);
  }
  skip(): void {
    for (let b = 0; b < this.batch; b++) this.indices.next();
  }
  next(): { x: Tensor; t: Tensor } {
    const { data, batch, classes } = this;
    this.t.fill(0);
    for (let b = 0; b < batch; b++) {
      const i = this.indices.next();
      this.x.set(data.images.subarray(i * data.pixels, (i + 1) * data.pixels), b * data.pixels);
      this.t[b * classes + data.labels[i]] = 1;
    }
    return {
      x: Tensor.fromArray(this.x, [batch, data.pixels], false, this.be),
      t: Tensor.fromArray(this.t, [batch, classes], false, this.be),
    };
  }
  dispose(): void {}
}

/**
 * A dataset's images held on the GPU, to gather rows from by index. Loops that draw from the
 * same set many times (universal noise, vector after vector) share one upload.
 */
export class DeviceImages {
  private images: Tensor;
  constructor(
    readonly data: Dataset,
    readonly backend: Backend = defaultBackend(),
  ) {
    this.images = Tensor.fromArray(data.images, [data.count, data.pixels], false, backend).keep();
  }
  /** Images [B, pixels] at the given row indices (f32 integers, already on the GPU), in the current scope. */
  take(rows: Tensor): Tensor {
    return gatherRows(this.images, rows);
  }
  dispose(): void {
    this.images.dispose();
  }
}

/** The set on the GPU when `auto` would hold it there (`fitsOnDevice`), else null. */
export function deviceImagesFor(data: Dataset, backend: Backend = defaultBackend()): DeviceImages | null {
  return fitsOnDevice(backend, data) ? new DeviceImages(data, backend) : null;
}

class DeviceBatches implements Batches {
  readonly where = 'device';
  private indices: IndexStream;
  private rows: Float32Array;
  private images: DeviceImages;
  private targets: Tensor;
  constructor(
    private be: Backend,
    data: Dataset,
    private batch: number,
    seed: number,
    classes: number,
  ) {
    this.indices = indexStream(data, seed);
    this.rows = new Float32Array(batch);
    const oneHot = new Float32Array(data.count * classes);
    for (let i = 0; i < data.count; i++) oneHot[i * classes + data.labels[i]] = 1;
    this.images = new DeviceImages(data, be);
    this.targets = Tensor.fromArray(oneHot, [data.count, classes], false, be).keep();
  }
  skip(): void {
    for (let b = 0; b < this.batch; b++) this.indices.next();
  }
  next(): { x: Tensor; t: Tensor } {
    for (let b = 0; b < this.batch; b++) this.rows[b] = this.indices.next();
    const rows = Tensor.fromArray(this.rows, [this.batch], false, this.be);
    return { x: this.images.take(rows), t: gatherRows(this.targets, rows) };
  }
  dispose(): void {
    this.images.dispose();
    this.targets.dispose();
  }
}

export interface DataLoaderOptions {
  batchSize: number;
  /** The shuffle's seed: the same seed, the same batches (a resumed loop skips ahead). */
  seed?: number;
  /** Classes of the one-hot targets (default: the labels' count). */
  classes?: number;
  backend?: Backend;
  /** Where batches are assembled (default auto: the set is held on the GPU when it fits). */
  placement?: BatchSource;
}

/**
 * Shuffled mini-batches of a data set for a training loop of your own (torch's DataLoader with
 * shuffle=True): a new seeded permutation each epoch, the training set held on the GPU where it
 * fits. Batches are tensors of the current tidy() scope.
 */
export class DataLoader {
  private readonly batches: Batches;
  /** Full batches per pass over the data. */
  readonly stepsPerEpoch: number;

  constructor(
    readonly data: Dataset,
    { batchSize, seed = 1, classes, backend = defaultBackend(), placement = 'auto' }: DataLoaderOptions,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > data.count)
      throw new ConfigError(
        `DataLoader: batchSize ${batchSize} must be a whole number in [1, ${data.count}] (the data set's size)`,
      );
    this.batches = batchesFor(data, batchSize, seed, classes ?? classCount(data), placement, backend);
    this.stepsPerEpoch = Math.floor(data.count / batchSize);
  }

  /** Where the batches are assembled: on the GPU or copied from the host. */
  get where(): 'device' | 'host' {
    return this.batches.where;
  }

  /** The next batch: images [B, pixels] and one-hot targets [B, classes]. */
  next(): { x: Tensor; t: Tensor } {
    return this.batches.next();
  }

  /** The next stepsPerEpoch batches. */
  *epoch(): Generator<{ x: Tensor; t: Tensor }> {
    for (let i = 0; i < this.stepsPerEpoch; i++) yield this.next();
  }

  /** Frees the training set held on the GPU. */
  dispose(): void {
    this.batches.dispose();
  }
}
