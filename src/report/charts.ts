import { summariseSeeds, type SweepRow } from '../study/sweep.js';

/**
 * One uPlot chart: x = pruning ratios, one series per noise vector and clean (accuracy, %), or
 * per kernel (timings; `axes` then names the units and asks for a log scale).
 */
export interface Chart {
  title: string;
  ratios: number[];
  series: ChartSeries[];
  axes?: { x: string; y: string; logY: boolean; yRange?: [number, number] | null };
}
/** `bandOf`: this series is the low or high edge of the 95% interval over seeds around that series. */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  bandOf?: string;
}

/** Charts of accuracy against pruning ratio: one per (sweep, method, scope), clean + each noise. */
export function chartsFromRows(title: string, rows: SweepRow[]): Chart[] {
  const charts: Chart[] = [];
  const keys = [...new Set(rows.map((r) => `${r.method}|${r.scope}`))];
  for (const key of keys) {
    const [method, scope] = key.split('|');
    const mine = rows.filter((r) => r.method === method && r.scope === scope);
    const ratios = [...new Set(mine.map((r) => r.ratio))].sort((a, b) => a - b);
    const noises = [...new Set(mine.map((r) => r.noise))];
    // Several seeds: the mean, with its 95% t-interval as a band.
    const summary = new Map(summariseSeeds(mine).map((g) => [`${g.ratio}|${g.noise}`, g]));
    const multiSeed = [...summary.values()].some((g) => g.seeds > 1);
    const at = (ratio: number, noise: string, pick: (g: ReturnType<typeof summariseSeeds>[number]) => number) => {
      const g = summary.get(`${ratio}|${noise}`);
      return g ? 100 * pick(g) : null;
    };
    charts.push({
      title: `${title}: ${method}, ${scope}${multiSeed ? ' (mean over seeds, 95% interval shaded)' : ''}`,
      ratios,
      series: noises.flatMap((noise) => {
        const label = noise === 'clean' ? 'clean' : `noise ${noise}`;
        const main: ChartSeries = { label, values: ratios.map((r) => at(r, noise, (g) => g.meanAccuracy)) };
        if (!multiSeed) return [main];
        return [
          main,
          { label: `${label} 95% low`, values: ratios.map((r) => at(r, noise, (g) => g.ci95Low)), bandOf: label },
          { label: `${label} 95% high`, values: ratios.map((r) => at(r, noise, (g) => g.ci95High)), bandOf: label },
        ];
      }),
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
    for (const [what, pick] of [
      ['clean accuracy', (r: SweepRow) => r.noise === 'clean'],
      ['mean accuracy under the noise vectors', (r: SweepRow) => r.noise !== 'clean'],
    ] as const) {
      charts.push({
        title: `${title}: ${what}, methods side by side (${scope})`,
        ratios,
        series: methods.map((method) => ({
          label: method,
          values: ratios.map((ratio) => {
            const m = mean(
              mine.filter((r) => r.method === method && r.ratio === ratio && pick(r)).map((r) => 100 * r.accuracy),
            );
            return m;
          }),
        })),
      });
    }
  }
  return charts;
}

interface SparseBenchRow {
  matrix: string;
  pruned: number;
  csrMs: number;
  denseWgslMs: number;
  scipyMs: number | null;
  numpyDenseMs: number | null;
}

/**
 * Sparse-vs-dense timings from `npm run bench -- sparse` (its JSON): per matrix, ms against the
 * share pruned for our CSR kernel, our dense kernel, scipy's CSR and numpy's dense product.
 */
export function sparseTimingCharts(bench: unknown, file: string): Chart[] {
  const b = bench as {
    adapter?: { description?: string; architecture?: string };
    results?: { sparse?: { rows?: SparseBenchRow[]; batch?: number } };
  };
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
    return {
      title: `${matrix} × [cols, ${b.results!.sparse!.batch ?? '?'}]: time per product (${adapter})`,
      ratios: mine.map((r) => r.pruned),
      series,
      axes: { x: 'share of entries pruned', y: 'ms (log scale)', logY: true },
    };
  });
}

interface EvalAttackRow {
  attack: string;
  epsilon: number;
  accuracy: number;
}

/** Robust accuracy against ε, one series per attack and the worst case, from `sparsegrad eval` JSON. */
export function epsilonCharts(evalJson: unknown, file: string): Chart[] {
  const e = evalJson as {
    tool?: string;
    model?: string;
    attacks?: EvalAttackRow[];
    noise?: { noise: string; accuracy: number }[];
  };
  if (e?.tool !== 'sparsegrad eval' || !Array.isArray(e.attacks))
    throw new Error(`${file}: not a sparsegrad eval JSON with "attacks"`);
  if (!e.attacks.length) return [];
  const clean = e.noise?.find((n) => n.noise === 'clean')?.accuracy;
  const epsilons = [...new Set([0, ...e.attacks.map((a) => a.epsilon)])].sort((a, b) => a - b);
  const names = [...new Set(e.attacks.map((a) => a.attack))];
  const series = names.map((name) => ({
    label: name,
    values: epsilons.map((eps) =>
      eps === 0 && clean !== undefined
        ? 100 * clean
        : ((a) => (a ? 100 * a.accuracy : null))(e.attacks!.find((a) => a.attack === name && a.epsilon === eps)),
    ),
  }));
  return [
    {
      title: `robust accuracy against ε (${e.model ?? file}; ε = 0: clean)`,
      ratios: epsilons,
      series,
      axes: { x: 'ε (L∞, pixel scale 0–1)', y: 'robust accuracy (%)', logY: false },
    },
  ];
}
