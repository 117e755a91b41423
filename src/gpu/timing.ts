import type { Backend } from './backend.js';

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall time of `reps` synced runs after one warm-up (pipeline compile, first touch). */
export async function medianWallMs(b: Backend, run: () => void, reps: number): Promise<number> {
  run();
  await b.sync();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    await b.sync();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}
