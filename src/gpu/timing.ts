import { runner } from './runner';

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall time of `reps` synced runs after one warm-up (pipeline compile, first touch). */
export async function medianWallMs(run: () => void, reps: number): Promise<number> {
  run();
  await runner.sync();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    await runner.sync();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}
