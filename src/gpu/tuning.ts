import type { Candidate, Tuner } from './tuner.js';
import type { Backend } from './backend.js';
import { fillBuffer } from './fill.js';

/** Records an op's shape for tuning (a JSON array: the op family, then its dimensions). */
export const recordShape = (b: Backend, entry: unknown[]): void => {
  b.kernels.recording?.add(JSON.stringify(entry));
};

/** One shape bucket after tuning: the winner, whether it was measured now, read from the cache or left to the rule. */
export interface TunedBucket {
  bucket: string;
  winner: string;
  source: string;
  ms?: Record<string, number>;
}

/** How to probe one recorded shape: its bucket, the rule's choice, probe buffers and the candidates on them. */
export interface ProbePlan {
  bucket: string;
  rule: string;
  /** Floats in each probe buffer; the first `filled` are filled on the GPU (inputs), the rest are outputs. */
  sizes: number[];
  filled: number;
  candidates: (buffers: GPUBuffer[]) => Candidate[];
}

/**
 * Tunes every recorded shape of one op `family` whose bucket was not seen yet in this call: probe
 * buffers filled on the GPU (at most `maxBytes` in all, else the rule stands), the tuner's
 * choice, the buffers back to the pool.
 */
export async function tuneFamily(
  b: Backend,
  tuner: Tuner,
  shapes: Iterable<string>,
  family: string,
  plan: (args: unknown[]) => ProbePlan,
  maxBytes = 256 * 2 ** 20,
): Promise<TunedBucket[]> {
  const done: TunedBucket[] = [];
  const seen = new Set<string>();
  for (const shape of shapes) {
    const [name, ...args] = JSON.parse(shape) as [string, ...unknown[]];
    if (name !== family) continue;
    const p = plan(args);
    if (seen.has(p.bucket)) continue;
    seen.add(p.bucket);
    if (4 * p.sizes.reduce((a, b) => a + b, 0) > maxBytes) {
      done.push({ bucket: p.bucket, winner: p.rule, source: 'rule (too large to probe)' });
      continue;
    }
    const buffers = p.sizes.map((n) => b.pool.acquire(4 * n));
    buffers.slice(0, p.filled).forEach((buf, i) => fillBuffer(b, buf, p.sizes[i], 0.5 / (i + 1)));
    const r = await tuner.choose(p.bucket, p.candidates(buffers), p.rule);
    done.push({ bucket: p.bucket, winner: r.winner, source: r.source, ms: r.record?.ms });
    await b.sync();
    for (const buf of buffers) b.pool.release(buf);
  }
  return done;
}
