import type { Backend } from '../gpu/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { pruneMask } from '../ops/prune_mask.js';
import { ConfigError } from '../util/errors.js';
import { columnMeans, type LayerSpec } from '../nn/layer-spec.js';
import type { Model } from '../nn/model.js';
import { seededRandom } from '../nn/random.js';
import type { InputStats } from './stats.js';
import { deepFreeze } from '../util/freeze.js';

export const PRUNE_METHODS = deepFreeze(['abs', 'act', 'act-abs-mean', 'combined', 'random', 'pixel-mask'] as const);
export type PruneMethod = (typeof PRUNE_METHODS)[number];

/** Pruning methods by name, checked: one line naming the first unknown one. */
export function pruneMethods(names: readonly string[], flag = '--method'): PruneMethod[] {
  const bad = names.find((m) => !(PRUNE_METHODS as readonly string[]).includes(m));
  if (bad !== undefined) throw new ConfigError(`${flag} ${bad}: use ${PRUNE_METHODS.join(', ')}`);
  return names as PruneMethod[];
}

/** per-matrix: the same ratio in every weight matrix (the study's "global"); layer: one matrix; global: one threshold over all. */
export type PruneScope = { kind: 'per-matrix' } | { kind: 'layer'; layer: number } | { kind: 'global' };

export function parseScope(s: string, layers: number): PruneScope {
  if (s === 'per-matrix' || s === 'global') return { kind: s };
  const m = /^layer:(\d+)$/.exec(s);
  if (m) {
    const layer = Number(m[1]);
    if (layer < 1 || layer > layers) throw new ConfigError(`scope ${s}: the model has weight matrices 1–${layers}`);
    return { kind: 'layer', layer };
  }
  throw new ConfigError(`scope "${s}": use per-matrix, global or layer:K`);
}
export const scopeName = (s: PruneScope): string => (s.kind === 'layer' ? `layer:${s.layer}` : s.kind);

/**
 * Score of every weight; the smallest are pruned first.
 * abs: |w_ij|. act: |mean_s(w_ij x_j)| = |w_ij|·|mean_s x_j| (one pass over the calibration
 * data, no N×weights tensor). act-abs-mean: mean_s|w_ij x_j| = |w_ij|·mean_s|x_j|.
 * random: seeded uniform, the control. pixel-mask: the other control, first layer only: every
 * weight scores its input pixel's rank by mean intensity, so pruning zeroes whole columns, the
 * darkest pixels first (input masking, no pruning of the network proper). Conv weights are
 * shared across positions: x_j is then the mean input under that tap over all positions (see
 * columnMeans).
 */
export function scoresFor(
  method: Exclude<PruneMethod, 'combined'>,
  weights: Float32Array[],
  layers: LayerSpec[],
  stats: InputStats | null,
  seed: number,
): Float32Array[] {
  if ((method === 'act' || method === 'act-abs-mean' || method === 'pixel-mask') && !stats)
    throw new ConfigError(`prune ${method}: needs calibration statistics`);
  if (method === 'pixel-mask') {
    if (layers[0].kind !== 'linear')
      throw new ConfigError(
        'prune pixel-mask: the first layer is a convolution; prune the decoupled model (sweep --decouple), whose first matrix has a column per pixel',
      );
    return weights.map((w, m) => (m === 0 ? columnRankScores(stats!.mean[0], w.length) : new Float32Array(w.length)));
  }
  const random = seededRandom(seed ^ 0xabcdef);
  return weights.map((w, m) => {
    const means = method === 'act' ? stats!.mean[m] : method === 'act-abs-mean' ? stats!.meanAbs[m] : null;
    const xs = means && columnMeans(layers[m], means);
    const inDim = xs?.length ?? 1;
    const out = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      if (method === 'random') out[i] = random();
      else out[i] = xs ? Math.abs(w[i]) * Math.abs(xs[i % inDim]) : Math.abs(w[i]);
    }
    return out;
  });
}

/**
 * Every weight of a [out, in] matrix (or a CSR matrix's entries, through `columnOf`) scored by
 * its column's rank in ascending `columnMeans` (ties: lower column first), so a rank cut takes
 * whole columns in that order.
 */
export function columnRankScores(
  columnMeans: Float32Array,
  size: number,
  columnOf = (i: number) => i % columnMeans.length,
): Float32Array {
  const rank = ranksOf(columnMeans);
  return Float32Array.from({ length: size }, (_, i) => rank[columnOf(i)]);
}

/** pixel-mask masks input pixels: it prunes the first matrix alone. */
export function checkMethodScope(method: PruneMethod, scope: PruneScope): void {
  if (method === 'pixel-mask' && !(scope.kind === 'layer' && scope.layer === 1))
    throw new ConfigError(`prune pixel-mask: masks input pixels, so its scope is layer:1 (got ${scopeName(scope)})`);
}

/** Position of each element in ascending score order, ties broken by lower index first. */
export function ranksOf(scores: Float32Array): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a] - scores[b] || a - b);
  const ranks = new Uint32Array(scores.length);
  order.forEach((idx, pos) => (ranks[idx] = pos));
  return ranks;
}

/** One rank order across all matrices (global scope): ranks are positions in the joint order. */
function globalRanks(scores: Float32Array[]): Uint32Array[] {
  const all = new Float32Array(scores.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of scores) {
    all.set(s, at);
    at += s.length;
  }
  const r = ranksOf(all);
  at = 0;
  return scores.map((s) => {
    const part = r.slice(at, at + s.length);
    at += s.length;
    return part;
  });
}

const NEVER = 2 ** 32 - 1; // above every rank: this matrix is not pruned
/** The GPU mask kernel compares ranks as f32, exact below 2^24. */
const GPU_NEVER = 2 ** 24;

export interface PruneSettings {
  method: PruneMethod;
  scope: PruneScope;
  combinedOffset: number;
  seed: number;
}

/** The score sets a method ranks by: combined is the union of abs at r and act at r − offset. */
export const scoreSets = (method: PruneMethod): Exclude<PruneMethod, 'combined'>[] =>
  method === 'combined' ? ['abs', 'act'] : [method];

/**
 * Rank order of every weight for one method and scope, on the host. At ratio r exactly
 * round(r·n) weights of a matrix (or of all, for global scope) fall below the cut. Every ratio
 * prunes the trained weights afresh (not cumulatively).
 */
export class RankedPruning {
  protected hostRanks: Uint32Array[][]; // [set][matrix]
  readonly sizes: number[];

  /** `scores[set][matrix]`: one set per entry of scoreSets(s.method). */
  constructor(
    scores: Float32Array[][],
    readonly s: PruneSettings,
  ) {
    checkMethodScope(s.method, s.scope);
    if (s.method === 'combined' && !(s.combinedOffset >= 0 && s.combinedOffset < 1))
      throw new ConfigError(`combined offset ${s.combinedOffset} must be in [0, 1)`);
    this.sizes = scores[0].map((w) => w.length);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    if (total >= NEVER) throw new ConfigError(`prune: ${total} weights; at most ${NEVER - 1} are supported`);
    this.hostRanks = scores.map((set) => {
      if (s.scope.kind === 'global') return globalRanks(set);
      return set.map((sc, i) =>
        s.scope.kind === 'layer' && s.scope.layer !== i + 1 ? new Uint32Array(sc.length).fill(NEVER) : ranksOf(sc),
      );
    });
  }

  /** The rank cut(s) for a ratio, per matrix: exactly round(r·n) weights fall below a cut. */
  cuts(ratio: number): { cut: number; cut2?: number }[] {
    if (!(ratio >= 0 && ratio <= 1)) throw new ConfigError(`prune ratio ${ratio} must be in [0, 1]`);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const second = Math.max(ratio - this.s.combinedOffset, 0);
    return this.sizes.map((n) => {
      const N = this.s.scope.kind === 'global' ? total : n;
      const c = { cut: Math.round(ratio * N) };
      return this.s.method === 'combined' ? { ...c, cut2: Math.round(second * N) } : c;
    });
  }

  /** Per matrix, 1 where a weight is pruned at this ratio. */
  prunedMasks(ratio: number): Uint8Array[] {
    return this.cuts(ratio).map(({ cut, cut2 }, m) => {
      const a = this.hostRanks[0][m],
        b = this.hostRanks[1]?.[m];
      return Uint8Array.from(a, (r, i) => (r < cut || (b !== undefined && b[i] < cut2!) ? 1 : 0));
    });
  }

  /** Weights pruned per matrix at this ratio. */
  prunedCounts(ratio: number): number[] {
    return this.prunedMasks(ratio).map((m) => m.reduce((k, v) => k + v, 0));
  }

  dispose(): void {}
}

/**
 * What pruning needs of a model: its weight matrices and a copy with other weights; its layer
 * specs where activation-based methods are used.
 */
export interface Prunable<M> {
  readonly backend: Backend;
  readonly weights: Tensor[];
  readonly layers?: LayerSpec[];
  withWeights(weights: Tensor[]): M;
}

/** Pruning a dense model: ranks uploaded once, then each ratio costs one dispatch per matrix. */
export class Pruner<M extends Prunable<M> = Model> extends RankedPruning {
  private rankTensors: Tensor[];

  constructor(
    private model: M,
    weights: Float32Array[],
    stats: InputStats | null,
    s: PruneSettings,
  ) {
    super(
      scoreSets(s.method).map((m) => {
        if (!model.layers && m !== 'abs' && m !== 'random')
          throw new ConfigError(
            `prune ${m}: needs the layer inputs of the study's FC/CNN nets; an nn model prunes by abs or random`,
          );
        return scoresFor(m, weights, model.layers ?? [], stats, s.seed);
      }),
      s,
    );
    // Ranks travel to the mask kernel as f32, exact only below 2^24.
    const ranked = s.scope.kind === 'global' ? this.sizes.reduce((a, b) => a + b, 0) : Math.max(...this.sizes);
    if (ranked >= GPU_NEVER)
      throw new ConfigError(
        `prune: ${ranked} weights in one ranking; the GPU mask supports at most ${GPU_NEVER - 1} (prune it decoupled: sweep --decouple)`,
      );
    const f32 = (r: Uint32Array) => Float32Array.from(r, (v) => Math.min(v, GPU_NEVER));
    this.rankTensors = this.sizes.map((n, m) => {
      if (this.hostRanks.length === 1)
        return Tensor.fromArray(f32(this.hostRanks[0][m]), [n], false, model.backend).keep();
      const both = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        both[2 * i] = Math.min(this.hostRanks[0][m][i], GPU_NEVER);
        both[2 * i + 1] = Math.min(this.hostRanks[1][m][i], GPU_NEVER);
      }
      return Tensor.fromArray(both, [2 * n], false, model.backend).keep();
    });
  }

  /** The model with pruned copies of its weight matrices (biases shared, never pruned). */
  prunedModel(ratio: number): M {
    const cuts = this.cuts(ratio);
    const weights = this.model.weights.map((w, m) => pruneMask(w, this.rankTensors[m], cuts[m].cut, cuts[m].cut2));
    return this.model.withWeights(weights);
  }

  override dispose(): void {
    this.rankTensors.forEach((t) => t.dispose());
  }
}
