/** Mean and 95% Student-t interval of a small sample (seeds). */
export interface MeanCi {
  n: number;
  mean: number;
  sd: number;
  low: number;
  high: number;
}

// t_{0.975, df} for df = 1..30.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Student-t 97.5% quantile: the table to df 30, then the Cornish–Fisher term z + (z³ + z)/(4·df). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`t quantile: df ${df} < 1`);
  if (df <= 30) return T975[Math.floor(df) - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df);
}

/** One value: the interval is the point (no spread can be estimated). */
export function meanCi95(xs: number[]): MeanCi {
  const n = xs.length;
  if (!n) return { n, mean: NaN, sd: NaN, low: NaN, high: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (tQuantile975(n - 1) * sd) / Math.sqrt(n) : 0;
  return { n, mean, sd, low: mean - half, high: mean + half };
}
