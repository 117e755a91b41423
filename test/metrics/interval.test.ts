import { describe, expect, it } from 'vitest';
import { meanCi95, tQuantile975 } from '../../src/metrics/interval';

describe('95% t-intervals', () => {
  it('t quantiles: the table and the large-df expansion against published values', () => {
    // Published t_{0.975} values (any statistics table).
    for (const [df, t] of [
      [1, 12.706],
      [2, 4.303],
      [4, 2.776],
      [9, 2.262],
      [19, 2.093],
      [29, 2.045],
      [30, 2.042],
      [40, 2.021],
      [60, 2.0],
      [120, 1.98],
    ])
      expect(tQuantile975(df)).toBeCloseTo(t, 2);
    expect(() => tQuantile975(0)).toThrow(RangeError);
  });
  it('mean, sample sd and half-width against a direct computation', () => {
    const xs = [0.61, 0.55, 0.7, 0.58];
    const mean = (0.61 + 0.55 + 0.7 + 0.58) / 4;
    const sd = Math.sqrt(xs.map((x) => (x - mean) ** 2).reduce((a, b) => a + b) / 3);
    const c = meanCi95(xs);
    expect(c.mean).toBeCloseTo(mean, 14);
    expect(c.sd).toBeCloseTo(sd, 14);
    expect(c.high - c.mean).toBeCloseTo((3.182 * sd) / 2, 12);
    expect(c.mean - c.low).toBeCloseTo(c.high - c.mean, 14);
    expect(meanCi95([0.4])).toEqual({ n: 1, mean: 0.4, sd: 0, low: 0.4, high: 0.4 });
    expect(meanCi95([]).n).toBe(0);
  });
});
