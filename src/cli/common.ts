import { initGpu, adapterName, type Gpu } from '../gpu/device';
import { readBytes } from '../io/files';
import { modelFromSafetensors } from '../nn/checkpoint';
import { loadData } from '../data/node-loader';

export async function openGpu(): Promise<Gpu> {
  const g = await initGpu();
  console.log(`adapter: ${adapterName(g.adapter)}`);
  return g;
}

export function loadModel(file: string) {
  return modelFromSafetensors(readBytes(file), file);
}

export { loadData };

export const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

/** Prints rows as an aligned table. */
export function table(header: string[], rows: string[][]): void {
  const w = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  console.log(header.map((h, i) => h.padStart(w[i])).join('  '));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(w[i])).join('  '));
}
