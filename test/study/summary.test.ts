import { describe, expect, it } from 'vitest';
import { chooseRatios, summariseStudy, robustnessCsv, ALL_VECTORS } from '../../src/study/summary';
import { findingsTable } from '../../src/study/findings';
import type { SweepRow } from '../../src/study/sweep';
import type { PruneMethod } from '../../src/prune/prune';

const base = (
  seed: number,
  method: PruneMethod,
  ratio: number,
  scope = 'per-matrix',
): Omit<SweepRow, 'noise' | 'target' | 'limit' | 'accuracy' | 'foolingRate'> => ({
  model: `m${seed}`,
  seed,
  method,
  scope,
  ratio,
  sparsity: [ratio],
  kernels: ['dense'],
});
const val = (seed: number, method: PruneMethod, ratio: number, accuracy: number): SweepRow => ({
  ...base(seed, method, ratio),
  noise: 'clean',
  target: null,
  limit: null,
  accuracy,
  foolingRate: null,
  attack: 'clean',
  split: 'validation',
});

describe('choosing ratios on validation', () => {
  const rows = [
    val(1, 'abs', 0, 0.95),
    val(1, 'abs', 0.5, 0.948),
    val(1, 'abs', 0.7, 0.94),
    val(1, 'abs', 0.9, 0.949),
    val(2, 'abs', 0, 0.97),
    val(2, 'abs', 0.5, 0.975),
    val(2, 'abs', 0.7, 0.966),
    val(2, 'abs', 0.9, 0.9),
    // Test rows are never used: a test row that would pass everywhere changes nothing.
    { ...val(1, 'abs', 0.7, 0.99), split: 'test' },
  ];
  it('within a drop of the unpruned model: the last ratio of the unbroken run from 0 (a later recovery does not count)', () => {
    const c = chooseRatios(rows, { drop: 0.005 });
    expect(c.get('1|abs|per-matrix')).toBe(0.5);
    expect(c.get('2|abs|per-matrix')).toBe(0.7);
  });
  it('an absolute floor; none where the unpruned model misses it', () => {
    const c = chooseRatios(rows, { atLeast: 0.96 });
    expect(c.has('1|abs|per-matrix')).toBe(false);
    expect(c.get('2|abs|per-matrix')).toBe(0.7);
  });
});

describe('study summary', () => {
  // Two seeds; unpruned (ratio 0), abs at 0.5, random at 0.3, pixel-mask at 0.2; two noise vectors and PGD.
  const rows: SweepRow[] = [];
  const acc: Record<string, number[]> = {
    // [seed1, seed2] worst-case accuracy on vector 3/0.25
    'abs|0': [0.3, 0.4],
    'abs|0.5': [0.5, 0.45],
    'random|0.3': [0.35, 0.42],
    'pixel-mask|0.2': [0.4, 0.38],
  };
  for (const seed of [1, 2])
    for (const [key, v] of Object.entries(acc)) {
      const [method, r] = key.split('|');
      const ratio = Number(r);
      const b = base(seed, method as PruneMethod, ratio, method === 'pixel-mask' ? 'layer:1' : 'per-matrix');
      const a = v[seed - 1];
      rows.push({
        ...b,
        noise: 'clean',
        target: null,
        limit: null,
        accuracy: 0.95,
        foolingRate: null,
        attack: 'clean',
        split: 'test',
      });
      rows.push({
        ...b,
        noise: '3/0.25',
        target: 3,
        limit: 0.25,
        accuracy: a + 0.1,
        foolingRate: 0.2,
        attack: 'transfer',
        split: 'test',
      });
      rows.push({
        ...b,
        noise: '3/0.25',
        target: 3,
        limit: 0.25,
        accuracy: a + 0.2,
        foolingRate: 0.1,
        attack: 'universal:study',
        split: 'test',
        noiseMeanAbs: 0.001,
        flags: 'collapsed;weaker-than-transfer',
      });
      rows.push({
        ...b,
        noise: '3/0.25',
        target: 3,
        limit: 0.25,
        accuracy: a,
        foolingRate: 0.3,
        attack: 'worst',
        split: 'test',
      });
      rows.push({
        ...b,
        noise: '2/0.25',
        target: 2,
        limit: 0.25,
        accuracy: a / 2,
        foolingRate: 0.3,
        attack: 'worst',
        split: 'test',
      });
      rows.push({
        ...b,
        noise: 'pgd ε=0.1',
        target: null,
        limit: 0.1,
        accuracy: a / 3,
        foolingRate: null,
        attack: 'pgd-ce',
        split: 'test',
      });
    }
  const chosen = new Map([
    ['1|abs|per-matrix', 0.5],
    ['2|abs|per-matrix', 0.5],
    ['1|random|per-matrix', 0.3],
    ['2|random|per-matrix', 0.3],
    ['1|pixel-mask|layer:1', 0.2],
    ['2|pixel-mask|layer:1', 0.2],
  ]);
  const s = summariseStudy(rows, chosen, { drop: 0.005 });
  const measure = (method: string, noise: string, attack: string) =>
    s.methods.find((m) => m.method === method)!.measures.find((x) => x.noise === noise && x.attack === attack)!;

  it('values are means over seeds; gains are paired by seed against unpruned and each control', () => {
    expect(s.methods.map((m) => m.method)).toEqual(['unpruned', 'abs', 'random', 'pixel-mask']);
    const w = measure('abs', '3/0.25', 'worst');
    expect(w.value.mean).toBeCloseTo((0.5 + 0.45) / 2, 12);
    // Per-seed differences: abs − unpruned = [0.2, 0.05]; abs − random = [0.15, 0.03]; abs − pixel-mask = [0.1, 0.07].
    const ci = (d: number[]) => {
      const m = (d[0] + d[1]) / 2;
      const sd = Math.abs(d[0] - d[1]) / Math.SQRT2;
      return [m, m - (12.706 * sd) / Math.SQRT2, m + (12.706 * sd) / Math.SQRT2];
    };
    expect([w.vsUnpruned.mean, w.vsUnpruned.low, w.vsUnpruned.high].map((x) => x.toFixed(9))).toEqual(
      ci([0.2, 0.05]).map((x) => x.toFixed(9)),
    );
    expect(w.vsRandom!.mean).toBeCloseTo(0.09, 12);
    expect(w.vsPixelMask!.mean).toBeCloseTo(0.085, 12);
    expect(measure('random', '3/0.25', 'worst').vsRandom).toBeNull();
  });
  it('a method whose chosen ratio is 0 is the unpruned model, with zero gain over it', () => {
    const s0 = summariseStudy(rows, new Map([...chosen, ['1|act|per-matrix', 0], ['2|act|per-matrix', 0]]), {
      drop: 0.005,
    });
    const act = s0.methods.find((m) => m.method === 'act')!;
    expect(act.ratios).toEqual([0, 0]);
    const w = act.measures.find((x) => x.noise === '3/0.25' && x.attack === 'worst')!;
    expect(w.value.mean).toBeCloseTo(0.35, 12);
    expect(w.vsUnpruned.mean).toBe(0);
  });
  it('the mean over noise vectors is taken per seed, then over seeds; flags and failures are carried', () => {
    const all = measure('abs', ALL_VECTORS, 'worst');
    expect(all.value.mean).toBeCloseTo(((0.5 + 0.25) / 2 + (0.45 + 0.225) / 2) / 2, 12);
    expect(measure('abs', '3/0.25', 'universal:study').flags).toEqual(['collapsed', 'weaker-than-transfer']);
    expect(s.failures.length).toBe(8); // every universal:study row is flagged
    const csv = robustnessCsv(s).trim().split('\n');
    expect(csv[0].split(',')).toContain('gain_vs_pixel_mask');
    expect(csv.some((l) => l.startsWith('abs,per-matrix,0.5;0.5,1;2,3/0.25,worst,0.475,'))).toBe(true);
    const t = findingsTable(s);
    expect(t.rows.map((r) => r[0])).toEqual(['unpruned', 'abs per-matrix', 'random per-matrix', 'pixel-mask layer:1']);
    expect(t.header).toContain('pgd ε=0.1 %');
  });
});
