import { robustness, type NoiseVector } from '../adversarial/evaluate';
import type { Dataset } from '../data/dataset';
import type { Net } from '../nn/net';
import { Pruner, parseScope, scopeName, type PruneMethod } from './prune';
import { decoupleNet, type DecoupledLayer } from '../sparse/decouple';
import { DecoupledPruner } from '../sparse/prune-decoupled';
import { SparseNet } from '../sparse/sparse-net';
import { calibrationIndices, layerInputStats, type InputStats } from './stats';

export interface SweepSpec {
  methods: PruneMethod[];
  scopes: string[];
  ratios: number[];
  /** Calibration images for activated-value scores (drawn from the test set, as the study did). */
  calibration: number;
  combinedOffset: number;
  seed: number;
  /** Prune the decoupled net (conv layers as sparse matrices, every entry its own weight) and run each layer as CSR or dense by the measured crossover. */
  decouple?: boolean;
}

export interface SweepModel { name: string; seed: number; model: Net; weights: Float32Array[] }

/** One measured point: a pruned model on clean data or under one noise vector. */
export interface SweepRow {
  model: string;
  seed: number;
  method: PruneMethod;
  scope: string;
  ratio: number;
  /** Share of zeroed weights per weight matrix (decoupled: of the matrix's stored entries). */
  sparsity: number[];
  /** Which kernel ran each layer: dense, or csr (decoupled sweeps). */
  kernels: string[];
  noise: string;
  target: number | null;
  limit: number | null;
  accuracy: number;
  foolingRate: number | null;
}

/** A unit of work: one model, method, scope and ratio; it yields one row per noise (and clean). */
export interface SweepUnit { index: number; key: string; model: number; method: PruneMethod; scope: string; ratio: number }

/** Every unit in canonical order; shards and resumption both index into this list. */
export function sweepUnits(spec: SweepSpec, models: { name: string }[]): SweepUnit[] {
  const units: SweepUnit[] = [];
  models.forEach((m, mi) => {
    for (const method of spec.methods)
      for (const scope of spec.scopes)
        for (const ratio of spec.ratios) units.push({ index: units.length, key: `${m.name}|${method}|${scope}|${ratio}`, model: mi, method, scope, ratio });
  });
  return units;
}

/**
 * Runs the given units in order; `onUnit` receives each unit's rows as soon as they are
 * measured (the caller appends them to disk). Rankings are built once per (model, method, scope).
 */
export async function runSweep(spec: SweepSpec, models: SweepModel[], test: Dataset, noises: NoiseVector[], units: SweepUnit[], onUnit: (unit: SweepUnit, rows: SweepRow[]) => void | Promise<void>): Promise<void> {
  const stats = new Map<number, InputStats>();
  const decoupled = new Map<number, DecoupledLayer[]>();
  let pruner: Pruner | DecoupledPruner | null = null;
  let prunerKey = '';
  for (const unit of units) {
    const m = models[unit.model];
    const needsStats = unit.method === 'act' || unit.method === 'act-abs-mean' || unit.method === 'combined';
    if (needsStats && !stats.has(unit.model)) stats.set(unit.model, await layerInputStats(m.model, test, calibrationIndices(test, spec.calibration, spec.seed)));
    const pkey = `${unit.model}|${unit.method}|${unit.scope}`;
    if (!pruner || prunerKey !== pkey) {
      pruner?.dispose();
      const scope = parseScope(unit.scope, m.model.layers.length);
      const settings = { method: unit.method, scope, combinedOffset: spec.combinedOffset, seed: spec.seed };
      if (spec.decouple) {
        if (!decoupled.has(unit.model)) decoupled.set(unit.model, await decoupleNet(m.model));
        pruner = new DecoupledPruner(decoupled.get(unit.model)!, stats.get(unit.model) ?? null, settings);
      } else pruner = new Pruner(m.model, m.weights, stats.get(unit.model) ?? null, settings);
      prunerKey = pkey;
    }
    const sizes = pruner.sizes;
    const sparsity = pruner.prunedCounts(unit.ratio).map((k, i) => Math.round((k / sizes[i]) * 1e6) / 1e6); // 6 decimals: what the CSV holds
    const pruned = await pruner.prunedModel(unit.ratio);
    const results = await robustness(pruned, test, noises);
    const kernels = pruned instanceof SparseNet ? pruned.kernels.map((k) => k.kernel) : pruned.layers.map(() => 'dense');
    if (pruned instanceof SparseNet) pruned.dispose();
    else pruned.weights.forEach((w) => w.dispose());
    const rows = results.map((r) => ({ model: m.name, seed: m.seed, method: unit.method, scope: scopeName(parseScope(unit.scope, m.model.layers.length)), ratio: unit.ratio, sparsity, kernels, noise: r.noise, target: r.target, limit: r.limit, accuracy: r.accuracy, foolingRate: r.foolingRate }));
    await onUnit(unit, rows);
  }
  pruner?.dispose();
}

/** "0:0.99:0.01" (inclusive, rounded to 6 decimals) or "0,0.5,0.9". */
export function parseRatios(s: string): number[] {
  const range = /^([\d.]+):([\d.]+):([\d.]+)$/.exec(s);
  const list = range
    ? (() => {
        const [a, b, step] = range.slice(1).map(Number);
        if (!(step > 0)) return [NaN];
        const n = Math.floor((b - a) / step + 1e-9);
        return Array.from({ length: n + 1 }, (_, i) => Math.round((a + i * step) * 1e6) / 1e6);
      })()
    : s.split(',').map(Number);
  if (!list.length || list.some((r) => !(r >= 0 && r <= 1))) throw new Error(`ratios "${s}": use start:stop:step or a comma list, each in [0, 1]`);
  return list;
}

/** Mean and 95% t-interval over seeds for every (method, scope, ratio, noise). */
export function summariseSeeds(rows: SweepRow[]) {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const k = `${r.method}|${r.scope}|${r.ratio}|${r.noise}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((g) => {
    const xs = g.map((r) => r.accuracy);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
    const half = xs.length > 1 ? tQuantile975(xs.length - 1) * sd / Math.sqrt(xs.length) : 0;
    const f = g[0];
    return { method: f.method, scope: f.scope, ratio: f.ratio, noise: f.noise, seeds: xs.length, meanAccuracy: mean, sdAccuracy: sd, ci95Low: mean - half, ci95High: mean + half };
  });
}

/** Student-t 97.5% quantile for small degrees of freedom (table), ≈1.96 beyond. */
function tQuantile975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
  return df <= 10 ? table[df - 1] : df <= 30 ? 2.042 + (2.228 - 2.042) * (30 - df) / 20 : 1.96;
}
