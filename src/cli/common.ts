import { adapterName, type Gpu } from '../gpu/device.js';
import { initGpu } from '../gpu/node-gpu.js';
import { readBytes } from '../io/files.js';
import { loadModelBytes } from '../nn/model.js';
import { loadData } from '../data/node-loader.js';
import { splitClasses, type Split } from '../data/dataset.js';
import { classesOf, inputOf } from '../nn/config.js';
import { DataError } from '../util/errors.js';

export async function openGpu(): Promise<Gpu> {
  const g = (await initGpu()).gpu;
  console.log(`adapter: ${adapterName(g.adapter)}`);
  return g;
}

/** A checkpoint, checked against the data it will see: the same image shape, every label one of its classes. */
export function loadModel(file: string, data: Split) {
  const loaded = loadModelBytes(readBytes(file), file);
  const image = inputOf(loaded.config),
    classes = classesOf(loaded.config);
  if (image.join('x') !== data.test.shape.join('x')) {
    loaded.model.dispose();
    throw new DataError(
      `${file}: the model takes ${image.join('x')} images, ${data.name} has ${data.test.shape.join('x')} (channels x height x width)`,
    );
  }
  const labels = splitClasses(data);
  if (labels > classes) {
    loaded.model.dispose();
    throw new DataError(`${file}: the model has ${classes} classes, ${data.name} has labels 0–${labels - 1}`);
  }
  return loaded;
}

export { loadData };

export const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

/** Prints rows as an aligned table. */
export function table(header: string[], rows: string[][]): void {
  const w = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  console.log(header.map((h, i) => h.padStart(w[i])).join('  '));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(w[i])).join('  '));
}
