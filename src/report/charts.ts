import type { SweepRow } from '../prune/sweep';

/**
 * One uPlot chart: x = pruning ratios, one series per noise vector and clean (accuracy, %), or
 * per kernel (timings; `axes` then names the units and asks for a log scale).
 */
export interface Chart { title: string; ratios: number[]; series: { label: string; values: (number | null)[] }[]; axes?: { x: string; y: string; logY: boolean } }

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

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * Methods side by side, per scope: clean accuracy, and accuracy averaged over all noise
 * vectors, one series per method.
 */
export function methodComparisonCharts(title: string, rows: SweepRow[]): Chart[] {
  const charts: Chart[] = [];
  for (const scope of [...new Set(rows.map((r) => r.scope))]) {
    const mine = rows.filter((r) => r.scope === scope);
    const methods = [...new Set(mine.map((r) => r.method))];
    if (methods.length < 2) continue;
    const ratios = [...new Set(mine.map((r) => r.ratio))].sort((a, b) => a - b);
    for (const [what, pick] of [['clean accuracy', (r: SweepRow) => r.noise === 'clean'], ['mean accuracy under the noise vectors', (r: SweepRow) => r.noise !== 'clean']] as const) {
      charts.push({
        title: `${title}: ${what}, methods side by side (${scope})`,
        ratios,
        series: methods.map((method) => ({
          label: method,
          values: ratios.map((ratio) => { const m = mean(mine.filter((r) => r.method === method && r.ratio === ratio && pick(r)).map((r) => 100 * r.accuracy)); return m; }),
        })),
      });
    }
  }
  return charts;
}

interface SparseBenchRow { matrix: string; pruned: number; csrMs: number; denseWgslMs: number; scipyMs: number | null; numpyDenseMs: number | null }

/**
 * Sparse-vs-dense timings from `npm run bench -- sparse` (its JSON): per matrix, ms against the
 * share pruned for our CSR kernel, our dense kernel, scipy's CSR and numpy's dense product.
 */
export function sparseTimingCharts(bench: unknown, file: string): Chart[] {
  const b = bench as { adapter?: { description?: string; architecture?: string }; results?: { sparse?: { rows?: SparseBenchRow[]; batch?: number } } };
  const rows = b?.results?.sparse?.rows;
  if (!Array.isArray(rows)) throw new Error(`${file}: no results.sparse.rows (write it with npm run bench -- sparse)`);
  const adapter = b.adapter?.description || b.adapter?.architecture || 'unknown adapter';
  return [...new Set(rows.map((r) => r.matrix))].map((matrix) => {
    const mine = rows.filter((r) => r.matrix === matrix).sort((x, y) => x.pruned - y.pruned);
    const series = [
      { label: 'CSR (sparsegrad, WGSL)', values: mine.map((r) => r.csrMs) },
      { label: 'dense (sparsegrad, WGSL)', values: mine.map((r) => r.denseWgslMs) },
      { label: 'scipy CSR (1 thread)', values: mine.map((r) => r.scipyMs) },
      { label: 'numpy dense', values: mine.map((r) => r.numpyDenseMs) },
    ].filter((s) => s.values.some((v) => v !== null));
    return { title: `${matrix} × [cols, ${b.results!.sparse!.batch ?? '?'}]: time per product (${adapter})`, ratios: mine.map((r) => r.pruned), series, axes: { x: 'share of entries pruned', y: 'ms (log scale)', logY: true } };
  });
}
