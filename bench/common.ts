import { loadData } from '../src/data/node-loader';
import type { Split } from '../src/data/dataset';
import { execFileSync } from 'node:child_process';
import { median, medianWallMs } from '../src/gpu/timing';
import { defaultBackend as backend } from '../src/gpu/default-backend';

export interface Timing {
  wallMs: number;
  gpuMs: number | null;
}

/**
 * Median over `reps` of: encode once, submit, wait. GPU time comes from timestamp queries
 * around the same work where the adapter has them.
 */
export async function timeOp(encode: () => void, reps = 5): Promise<Timing> {
  const wallMs = await medianWallMs(backend(), encode, reps); // includes the warm-up: pipeline compile, first-touch of buffers
  const gpuTimes: number[] = [];
  for (let r = 0; r < reps; r++) {
    const g = await backend().runner.timeGpu(encode);
    if (g !== null) gpuTimes.push(g);
  }
  return { wallMs, gpuMs: gpuTimes.length ? median(gpuTimes) : null };
}

export { median };

/** Runs a python3 helper; null (with the reason) where python3 or numpy is missing. */
export function python<T>(script: string, args: string[]): { value: T | null; note?: string } {
  try {
    const out = execFileSync('python3', [script, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    return { value: JSON.parse(out) as T };
  } catch (e) {
    return { value: null, note: `python3 reference skipped: ${(e as Error).message.split('\n')[0]}` };
  }
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  console.log(`\n${title}`);
  cells.forEach((r, k) => {
    console.log(r.map((c, i) => String(c).padStart(widths[i])).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

const fmt = (x: number): string =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);

/** The data the benchmarks time on: the embedded set unless `npm run bench -- --data SOURCE` names one. */
let dataSource: string | undefined;
export function setBenchData(source: string): void {
  dataSource = source;
}
export function benchData(fallback = 'embedded'): Split {
  return loadData(dataSource ?? fallback);
}
