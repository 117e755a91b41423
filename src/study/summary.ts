import { attackOf, splitOf, type SweepRow } from './sweep.js';
import { meanCi95, type MeanCi } from '../metrics/interval.js';
import type { PruneMethod } from '../prune/prune.js';
import { deepFreeze } from '../util/freeze.js';

/** Clean validation accuracy a pruned model must keep: an absolute floor, or a drop from the unpruned model. */
export type CleanRule = { atLeast: number } | { drop: number };

/** The methods compared at matched clean accuracy, with their scopes; random and pixel-mask are the controls. */
export const COMPARED: { method: PruneMethod; scope: string }[] = deepFreeze([
  { method: 'abs', scope: 'per-matrix' },
  { method: 'act', scope: 'per-matrix' },
  { method: 'combined', scope: 'per-matrix' },
  { method: 'random', scope: 'per-matrix' },
  { method: 'pixel-mask', scope: 'layer:1' },
]);

/**
 * Per (seed, method, scope): the highest ratio r such that clean validation accuracy meets the
 * rule at every ratio from 0 to r. Absent where even the unpruned model misses it. Test rows
 * are never looked at.
 */
export function chooseRatios(rows: SweepRow[], rule: CleanRule): Map<string, number> {
  const val = rows.filter((r) => splitOf(r) === 'validation' && attackOf(r) === 'clean');
  const groups = new Map<string, SweepRow[]>();
  for (const r of val) {
    const k = `${r.seed}|${r.method}|${r.scope}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out = new Map<string, number>();
  for (const [k, g] of groups) {
    g.sort((a, b) => a.ratio - b.ratio);
    if (g[0].ratio !== 0) continue;
    const floor = 'atLeast' in rule ? rule.atLeast : g[0].accuracy - rule.drop;
    let best: number | undefined;
    for (const r of g) {
      if (r.accuracy + 1e-12 < floor) break;
      best = r.ratio;
    }
    if (best !== undefined) out.set(k, best);
  }
  return out;
}

/** One measure (clean, or an attack on one noise vector / ε) over seeds, with paired differences. */
export interface MeasureSummary {
  noise: string;
  attack: string;
  value: MeanCi;
  /** Per seed: this method's value minus the other's, paired by seed. */
  vsUnpruned: MeanCi;
  vsRandom: MeanCi | null;
  vsPixelMask: MeanCi | null;
  /** Attack-failure flags raised on any seed. */
  flags: string[];
}

export interface MethodSummary {
  method: string;
  scope: string;
  ratios: number[];
  seeds: number[];
  measures: MeasureSummary[];
}
export interface StudySummary {
  rule: CleanRule;
  /** "unpruned" first, then each compared method at its chosen ratio. */
  methods: MethodSummary[];
  /** Adaptive rows that flagged an attack failure. */
  failures: {
    seed: number;
    method: string;
    ratio: number;
    noise: string;
    attack: string;
    accuracy: number;
    flags: string;
  }[];
}

/** The noise name of the per-seed mean over all noise vectors. */
export const ALL_VECTORS = 'mean of vectors';

const measureKey = (r: SweepRow) => `${r.noise}|${attackOf(r)}|${splitOf(r)}`;

/**
 * The study's summary: for the unpruned model and each compared method at its chosen ratio, every
 * measure of the adaptive folders (clean test and validation, transfer, each universal recipe,
 * the worst case per vector, PGD) as mean and 95% interval over seeds, with the gain over the
 * unpruned model and over each control, paired by seed.
 */
export function summariseStudy(adaptiveRows: SweepRow[], chosen: Map<string, number>, rule: CleanRule): StudySummary {
  const seeds = [...new Set(adaptiveRows.map((r) => r.seed))].sort((a, b) => a - b);
  // Per (label, seed): measure key → row.
  const byLabelSeed = new Map<string, Map<string, SweepRow>>();
  const put = (label: string, seed: number, r: SweepRow) => {
    const k = `${label}|${seed}`;
    if (!byLabelSeed.has(k)) byLabelSeed.set(k, new Map());
    byLabelSeed.get(k)!.set(measureKey(r), r);
  };
  for (const r of adaptiveRows) {
    if (r.ratio !== 0) {
      if (chosen.get(`${r.seed}|${r.method}|${r.scope}`) === r.ratio) put(`${r.method}|${r.scope}`, r.seed, r);
      continue;
    }
    // The unpruned model, which is also every method whose chosen ratio is 0.
    put('unpruned|', r.seed, r);
    for (const c of COMPARED)
      if (chosen.get(`${r.seed}|${c.method}|${c.scope}`) === 0) put(`${c.method}|${c.scope}`, r.seed, r);
  }
  // Per seed, the mean over the noise vectors of each universal-noise measure.
  for (const rows of byLabelSeed.values()) {
    const sums = new Map<string, { row: SweepRow; total: number; n: number }>();
    for (const r of rows.values()) {
      if (r.target === null || r.noise.startsWith('pgd') || splitOf(r) !== 'test') continue;
      const a = sums.get(attackOf(r)) ?? { row: r, total: 0, n: 0 };
      a.total += r.accuracy;
      a.n++;
      sums.set(attackOf(r), a);
    }
    for (const [attack, a] of sums) {
      const r: SweepRow = {
        ...a.row,
        noise: ALL_VECTORS,
        target: null,
        limit: null,
        accuracy: a.total / a.n,
        foolingRate: null,
        attack,
        flags: '',
      };
      rows.set(measureKey(r), r);
    }
  }
  const labels = [{ method: 'unpruned', scope: '' }, ...COMPARED];
  const paired = (a: string, b: string, key: string): MeanCi | null => {
    const d: number[] = [];
    for (const s of seeds) {
      const x = byLabelSeed.get(`${a}|${s}`)?.get(key),
        y = byLabelSeed.get(`${b}|${s}`)?.get(key);
      if (x && y) d.push(x.accuracy - y.accuracy);
    }
    return d.length ? meanCi95(d) : null;
  };
  const methods: MethodSummary[] = [];
  for (const l of labels) {
    const label = `${l.method}|${l.scope}`;
    const mine = seeds.filter((s) => byLabelSeed.has(`${label}|${s}`));
    if (!mine.length) continue;
    const keys = [...byLabelSeed.get(`${label}|${mine[0]}`)!.keys()];
    const measures = keys.map((key) => {
      const rows = mine.map((s) => byLabelSeed.get(`${label}|${s}`)!.get(key)).filter((r): r is SweepRow => !!r);
      const [noise, attack] = key.split('|');
      return {
        noise,
        attack: key.endsWith('|validation') ? `${attack} (validation)` : attack,
        value: meanCi95(rows.map((r) => r.accuracy)),
        vsUnpruned: paired(label, 'unpruned|', key) ?? meanCi95([]),
        vsRandom: l.method === 'random' ? null : paired(label, 'random|per-matrix', key),
        vsPixelMask: l.method === 'pixel-mask' ? null : paired(label, 'pixel-mask|layer:1', key),
        flags: [...new Set(rows.flatMap((r) => (r.flags ? r.flags.split(';') : [])))],
      };
    });
    const ratios = mine.map((s) => [...byLabelSeed.get(`${label}|${s}`)!.values()][0].ratio);
    methods.push({ method: l.method, scope: l.scope, ratios, seeds: mine, measures });
  }
  const failures = adaptiveRows
    .filter((r) => r.flags)
    .map((r) => ({
      seed: r.seed,
      method: r.method,
      ratio: r.ratio,
      noise: r.noise,
      attack: attackOf(r),
      accuracy: r.accuracy,
      flags: r.flags!,
    }));
  return { rule, methods, failures };
}

const cell = (c: MeanCi | null): string[] =>
  c?.n ? [c.mean, c.low, c.high].map((x) => String(Math.round(x * 1e6) / 1e6)) : ['', '', ''];

/** One row per method and measure: mean, 95% interval, and the paired gains. */
export function robustnessCsv(s: StudySummary): string {
  const head = [
    'method',
    'scope',
    'ratios',
    'seeds',
    'noise',
    'attack',
    'accuracy',
    'ci95_low',
    'ci95_high',
    'gain_vs_unpruned',
    'gain_vs_unpruned_low',
    'gain_vs_unpruned_high',
    'gain_vs_random',
    'gain_vs_random_low',
    'gain_vs_random_high',
    'gain_vs_pixel_mask',
    'gain_vs_pixel_mask_low',
    'gain_vs_pixel_mask_high',
    'flags',
  ];
  const lines = s.methods.flatMap((m) =>
    m.measures.map((x) =>
      [
        m.method,
        m.scope,
        m.ratios.join(';'),
        m.seeds.join(';'),
        x.noise,
        x.attack,
        ...cell(x.value),
        ...cell(x.vsUnpruned),
        ...cell(x.vsRandom),
        ...cell(x.vsPixelMask),
        x.flags.join(';'),
      ].join(','),
    ),
  );
  return `${[head.join(','), ...lines].join('\n')}\n`;
}
