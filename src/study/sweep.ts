import { robustness, type NoiseVector } from '../adversarial/evaluate.js';
import { adaptiveAt, adaptiveRowCount, adaptiveRows, type AdaptiveSpec } from '../adversarial/adaptive.js';
import { accuracy } from '../nn/evaluate.js';
import { collapsed, meanAbs } from '../adversarial/noise.js';
import { meanCi95 } from '../metrics/interval.js';
import { take, type Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import { Pruner, parseScope, scopeName, type PruneMethod } from '../prune/prune.js';
import { decoupleNet, type DecoupledLayer } from '../sparse/decouple.js';
import { DecoupledPruner } from '../prune/prune-decoupled.js';
import { SparseNet } from '../sparse/sparse-net.js';
import { calibrationIndices, layerInputStats, type InputStats } from '../prune/stats.js';
import { fineTunePruned, type FineTuneSpec } from './fine-tune.js';
import { certifyModel, type CertifyMethod } from '../certify/certify.js';

export interface SweepSpec {
  methods: PruneMethod[];
  scopes: string[];
  ratios: number[];
  /** Calibration images for activated-value scores and the pixel mask. */
  calibration: number;
  /** Where they come from: training images (default; the study drew them from the test set). */
  calibrationFrom?: 'train' | 'test';
  combinedOffset: number;
  seed: number;
  /** Prune the decoupled net (conv layers as sparse matrices, every entry its own weight) and run each layer as CSR or dense by the measured crossover. */
  decouple?: boolean;
  /** Attacks on each pruned model itself, at these ratios (absent: transfer only). */
  adaptive?: AdaptiveSpec;
  /** Fine-tune each pruned model (ratio > 0) under its mask before measuring it (absent: one-shot, as the study). */
  fineTune?: FineTuneSpec;
  /** Certified robustness beside the attacks, at the adaptive ratios (absent: none). */
  certify?: CertifySpec;
}

/**
 * Certified bounds at each ε per method, on the first `images` test images (null: all), with
 * the adaptive PGD at the same ε on the same images (rows certified-ibp, certified-crown, pgd-upper).
 */
export interface CertifySpec {
  epsilons: number[];
  methods: CertifyMethod[];
  images: number | null;
}

export interface SweepModel {
  name: string;
  seed: number;
  model: Model;
  weights: Float32Array[];
  /** Noise made on this model (the study: each seed's own); otherwise the sweep's noise. */
  noises?: NoiseVector[];
}

/** The images a sweep measures on: test reports; validation (if any) is measured for choosing ratios; train feeds calibration and adaptive noise. */
export interface SweepData {
  test: Dataset;
  train: Dataset;
  validation?: Dataset;
}

/** One measured point: a pruned model on clean data or under one attack. */
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
  /** The noise vector (target/limit), "clean", or the per-image attack (e.g. "pgd ε=0.1"). */
  noise: string;
  target: number | null;
  limit: number | null;
  accuracy: number;
  foolingRate: number | null;
  /** clean, transfer, universal:<recipe>, pgd-ce, pgd-margin, worst (absent in older files: clean or transfer). */
  attack?: string;
  /** test, or validation (clean accuracy for choosing ratios); absent: test. */
  split?: string;
  /** Mean |n| of a universal noise made on this model. */
  noiseMeanAbs?: number | null;
  /** Attack failures: collapsed (mean |n| < 0.1·limit), weaker-than-transfer. */
  flags?: string;
}

export const attackOf = (r: SweepRow): string => r.attack || (r.noise === 'clean' ? 'clean' : 'transfer');
export const splitOf = (r: SweepRow): string => r.split || 'test';
/** The study's own curves: clean test accuracy and transferred noise. */
export const isTransferCurve = (r: SweepRow): boolean =>
  splitOf(r) === 'test' && (attackOf(r) === 'clean' || attackOf(r) === 'transfer');

/** A unit of work: one model, method, scope and ratio; it yields one row per noise (and clean). */
export interface SweepUnit {
  index: number;
  key: string;
  model: number;
  method: PruneMethod;
  scope: string;
  ratio: number;
}

export const unitKey = (modelName: string, method: string, scope: string, ratio: number): string =>
  `${modelName}|${method}|${scope}|${ratio}`;

/** Every unit in canonical order; shards and resumption both index into this list. */
export function sweepUnits(spec: SweepSpec, models: { name: string }[]): SweepUnit[] {
  const units: SweepUnit[] = [];
  models.forEach((m, mi) => {
    for (const method of spec.methods)
      for (const scope of spec.scopes)
        for (const ratio of spec.ratios)
          units.push({
            index: units.length,
            key: unitKey(m.name, method, scope, ratio),
            model: mi,
            method,
            scope,
            ratio,
          });
  });
  return units;
}

/** Rows a unit writes: clean (test, and validation if measured), one per noise, and its adaptive rows. */
export function rowsPerUnit(spec: SweepSpec, noises: number, validation: boolean, ratio: number): number {
  return (
    1 +
    (validation ? 1 : 0) +
    noises +
    (adaptiveAt(spec.adaptive, ratio) ? adaptiveRowCount(spec.adaptive!, noises) : 0) +
    (spec.certify && adaptiveAt(spec.adaptive, ratio)
      ? spec.certify.epsilons.length * (spec.certify.methods.length + (spec.adaptive?.pgd ? 1 : 0))
      : 0)
  );
}

/**
 * Runs the given units in order; `onUnit` receives each unit's rows as soon as they are
 * measured (the caller appends them to disk). Rankings are built once per (model, method, scope).
 */
export async function runSweep(
  spec: SweepSpec,
  models: SweepModel[],
  data: SweepData,
  noises: NoiseVector[],
  units: SweepUnit[],
  onUnit: (unit: SweepUnit, rows: SweepRow[]) => void | Promise<void>,
  /** Sees each measured model (pruned, fine-tuned where asked) and its masks (1 kept, 0 pruned, per weight matrix) before it is released. */
  onModel?: (unit: SweepUnit, model: Model, keep: Float32Array[]) => Promise<void>,
): Promise<void> {
  const stats = new Map<number, InputStats>();
  const decoupled = new Map<number, DecoupledLayer[]>();
  const calibration = spec.calibrationFrom === 'test' ? data.test : data.train;
  let pruner: Pruner | DecoupledPruner | null = null;
  let prunerKey = '';
  for (const unit of units) {
    const m = models[unit.model];
    const needsStats =
      unit.method === 'act' ||
      unit.method === 'act-abs-mean' ||
      unit.method === 'combined' ||
      unit.method === 'pixel-mask';
    if (needsStats && !stats.has(unit.model))
      stats.set(
        unit.model,
        await layerInputStats(m.model, calibration, calibrationIndices(calibration, spec.calibration, spec.seed)),
      );
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
    const oneShot = await pruner.prunedModel(unit.ratio);
    let pruned = oneShot;
    if (spec.fineTune && unit.ratio > 0 && !(oneShot instanceof SparseNet)) {
      const keep = pruner.prunedMasks(unit.ratio).map((k) => Float32Array.from(k, (p) => 1 - p));
      pruned = await fineTunePruned(oneShot, keep, spec.fineTune, data.train, data.test);
      oneShot.weights.forEach((w) => w.dispose());
    }
    const mine = m.noises ?? noises;
    const transfer = new Map<string, Uint8Array>();
    const results = await robustness(pruned, data.test, mine, (name, preds) => transfer.set(name, preds));
    const kernels =
      pruned instanceof SparseNet ? pruned.kernels.map((k) => k.kernel) : pruned.layers.map(() => 'dense');
    const base = {
      model: m.name,
      seed: m.seed,
      method: unit.method,
      scope: scopeName(parseScope(unit.scope, m.model.layers.length)),
      ratio: unit.ratio,
      sparsity,
      kernels,
    };
    // A transferred noise that had collapsed on the model it was made on is flagged wherever it is applied.
    const source = new Map(mine.map((v) => [v.name, v.noise]));
    const rows: SweepRow[] = results.map((r) => {
      const n = source.get(r.noise);
      const transfer = n ? { noiseMeanAbs: meanAbs(n), flags: collapsed(n, r.limit!) ? 'collapsed' : '' } : {};
      return {
        ...base,
        noise: r.noise,
        target: r.target,
        limit: r.limit,
        accuracy: r.accuracy,
        foolingRate: r.foolingRate,
        attack: n ? 'transfer' : 'clean',
        split: 'test',
        ...transfer,
      };
    });
    if (data.validation)
      rows.push({
        ...base,
        noise: 'clean',
        target: null,
        limit: null,
        accuracy: await accuracy(pruned, data.validation),
        foolingRate: null,
        attack: 'clean',
        split: 'validation',
      });
    if (adaptiveAt(spec.adaptive, unit.ratio)) {
      for (const a of await adaptiveRows(pruned, spec.adaptive!, data, mine, transfer)) rows.push({ ...base, ...a });
      if (spec.certify && !(pruned instanceof SparseNet)) {
        const c = spec.certify;
        const test = c.images === null ? data.test : take(data.test, Math.min(c.images, data.test.count));
        // PGD on the same images at the same ε: the sandwich's upper side, per image (an image
        // both certified and broken is refused).
        const { rows: certified } = await certifyModel(pruned, test, c.epsilons, c.methods, spec.adaptive!.pgd);
        for (const r of certified)
          rows.push({
            ...base,
            noise: `certified ε=${r.epsilon}${test.count < data.test.count ? ` (first ${test.count})` : ''}`,
            target: null,
            limit: r.epsilon,
            accuracy: r.accuracy,
            foolingRate: null,
            attack: r.method === 'pgd' ? 'pgd-upper' : `certified-${r.method}`,
            split: 'test',
          });
      }
    }
    if (onModel && !(pruned instanceof SparseNet))
      await onModel(
        unit,
        pruned,
        pruner.prunedMasks(unit.ratio).map((k) => Float32Array.from(k, (p) => 1 - p)),
      );
    if (pruned instanceof SparseNet) pruned.dispose();
    else if (pruned !== oneShot)
      pruned.dispose(); // fine-tuned: owns all its parameters
    else pruned.weights.forEach((w) => w.dispose()); // one-shot: shares the model's biases
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
  if (!list.length || list.some((r) => !(r >= 0 && r <= 1)))
    throw new Error(`ratios "${s}": use start:stop:step or a comma list, each in [0, 1]`);
  return list;
}

/** Mean and 95% t-interval over seeds for every (method, scope, ratio, noise). */
export function summariseSeeds(rows: SweepRow[]) {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const k = `${r.method}|${r.scope}|${r.ratio}|${r.noise}|${attackOf(r)}|${splitOf(r)}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((g) => {
    const c = meanCi95(g.map((r) => r.accuracy));
    const f = g[0];
    return {
      method: f.method,
      scope: f.scope,
      ratio: f.ratio,
      noise: f.noise,
      attack: attackOf(f),
      split: splitOf(f),
      seeds: c.n,
      meanAccuracy: c.mean,
      sdAccuracy: c.sd,
      ci95Low: c.low,
      ci95High: c.high,
    };
  });
}
