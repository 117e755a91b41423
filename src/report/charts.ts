import type { SweepRow } from '../prune/sweep';

/** One uPlot chart: x = pruning ratios, one series of accuracy (%) per noise vector and clean. */
export interface Chart { title: string; ratios: number[]; series: { label: string; values: (number | null)[] }[] }

/** Charts of accuracy against pruning ratio: one per (sweep, method, scope), clean + each noise. */
export function chartsFromRows(title: string, rows: SweepRow[]): Chart[] {
  const charts: Chart[] = [];
  const keys = [...new Set(rows.map((r) => `${r.method}|${r.scope}`))];
  for (const key of keys) {
    const [method, scope] = key.split('|');
    const mine = rows.filter((r) => r.method === method && r.scope === scope);
    const ratios = [...new Set(mine.map((r) => r.ratio))].sort((a, b) => a - b);
    const noises = [...new Set(mine.map((r) => r.noise))];
    charts.push({
      title: `${title}: ${method}, ${scope}`,
      ratios,
      series: noises.map((noise) => ({
        label: noise === 'clean' ? 'clean' : `noise ${noise}`,
        values: ratios.map((ratio) => {
          const xs = mine.filter((r) => r.ratio === ratio && r.noise === noise).map((r) => r.accuracy);
          return xs.length ? (100 * xs.reduce((a, b) => a + b, 0)) / xs.length : null;
        }),
      })),
    });
  }
  return charts;
}
