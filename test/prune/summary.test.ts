import { describe, expect, it } from 'vitest';
import { summariseSeeds, parseRatios, type SweepRow } from '../../src/study/sweep';

const row = (seed: number, ratio: number, accuracy: number): SweepRow => ({
  model: `m${seed}`,
  seed,
  method: 'abs',
  scope: 'per-matrix',
  ratio,
  sparsity: [ratio],
  kernels: ['dense'],
  noise: 'clean',
  target: null,
  limit: null,
  accuracy,
  foolingRate: null,
});

describe('multi-seed summary', () => {
  it('mean, sample sd and the 95% t-interval over seeds', () => {
    const s = summariseSeeds([row(1, 0.5, 0.9), row(2, 0.5, 0.92), row(3, 0.5, 0.94), row(1, 0.9, 0.5)]);
    const a = s.find((x) => x.ratio === 0.5)!;
    expect(a.seeds).toBe(3);
    expect(a.meanAccuracy).toBeCloseTo(0.92, 12);
    expect(a.sdAccuracy).toBeCloseTo(0.02, 12);
    expect(a.ci95High - a.meanAccuracy).toBeCloseTo((4.303 * 0.02) / Math.sqrt(3), 9); // t(0.975, 2 df) = 4.303
    const b = s.find((x) => x.ratio === 0.9)!;
    expect([b.seeds, b.ci95Low, b.ci95High]).toEqual([1, 0.5, 0.5]);
  });
  it('parses ratio ranges inclusively without float drift, and rejects bad ones', () => {
    expect(parseRatios('0:0.99:0.01')).toHaveLength(100);
    expect(parseRatios('0:0.99:0.01')[99]).toBe(0.99);
    expect(parseRatios('0:0.3:0.1')).toEqual([0, 0.1, 0.2, 0.3]);
    expect(parseRatios('0.5,0.9')).toEqual([0.5, 0.9]);
    expect(() => parseRatios('0:1.5:0.5')).toThrow(/each in \[0, 1\]/);
  });
});

describe('multi-seed charts', () => {
  it('several seeds: each curve is the mean, with its 95% interval as a band; one seed: no band', async () => {
    const { chartsFromRows } = await import('../../src/report/charts');
    const { plotSpec } = await import('../../src/report/plot-spec');
    const rows = [
      row(1, 0.5, 0.9),
      row(2, 0.5, 0.92),
      row(3, 0.5, 0.94),
      row(1, 0.9, 0.5),
      row(2, 0.9, 0.6),
      row(3, 0.9, 0.7),
    ];
    const [c] = chartsFromRows('t', rows);
    expect(c.series.map((s) => s.label)).toEqual(['clean', 'clean 95% low', 'clean 95% high']);
    expect(c.series[0].values[0]).toBeCloseTo(92, 10);
    // t(0.975, 2) = 4.303, sd = 0.02, n = 3.
    expect(c.series[2].values[0]! - 92).toBeCloseTo((100 * 4.303 * 0.02) / Math.sqrt(3), 6);
    expect(plotSpec(c, 800).opts.bands).toEqual([{ series: [3, 2], fill: '#00000033' }]);
    const [single] = chartsFromRows(
      't',
      rows.filter((r) => r.seed === 1),
    );
    expect(single.series.map((s) => s.label)).toEqual(['clean']);
  });
});

describe('robust accuracy against ε', () => {
  it('one series per attack with the clean accuracy at ε = 0; a file that is not eval JSON is named', async () => {
    const { epsilonCharts } = await import('../../src/report/charts');
    const e = {
      tool: 'sparsegrad eval',
      model: 'm.safetensors',
      noise: [{ noise: 'clean', accuracy: 0.98 }],
      attacks: [
        { attack: 'fgsm-ce', epsilon: 0.1, accuracy: 0.8 },
        { attack: 'pgd-ce', epsilon: 0.1, accuracy: 0.6 },
        { attack: 'worst', epsilon: 0.1, accuracy: 0.55 },
        { attack: 'pgd-ce', epsilon: 0.3, accuracy: 0.01 },
      ],
    };
    const [c] = epsilonCharts(e, 'e.json');
    expect(c.ratios).toEqual([0, 0.1, 0.3]);
    expect(c.series.map((s) => s.label)).toEqual(['fgsm-ce', 'pgd-ce', 'worst']);
    expect(c.series[1].values.map((v) => (v === null ? null : Math.round(v * 1e6) / 1e6))).toEqual([98, 60, 1]);
    expect(c.series[0].values[2]).toBeNull();
    expect(() => epsilonCharts({ tool: 'x' }, 'bad.json')).toThrow(/bad.json: not a sparsegrad eval JSON/);
  });
});
