import { initGpu, adapterName, type Gpu } from '../gpu/device';
import { readBytes } from '../io/files';
import { loadModelBytes } from '../nn/model';
import { loadData } from '../data/node-loader';
import { splitClasses, type Split } from '../data/dataset';
import { classesOf, inputOf } from '../nn/config';
import { DataError } from '../gpu/errors';

export async function openGpu(): Promise<Gpu> {
  const g = await initGpu();
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
