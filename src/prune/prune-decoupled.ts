import { ConfigError } from '../util/errors.js';
import { seededRandom } from '../nn/random.js';
import { RankedPruning, columnRankScores, scoreSets, type PruneMethod, type PruneSettings } from './prune.js';
import type { InputStats } from './stats.js';
import type { CsrHost } from '../tensor/csr.js';
import type { DecoupledLayer } from '../sparse/decouple.js';
import { SparseNet, type Kernel } from '../sparse/sparse-net.js';
import { EVAL_BATCH } from '../nn/evaluate.js';

/**
 * Scores of every stored entry of a decoupled layer, as for dense weights: abs |a_rk|,
 * act |a_rk|·|mean x_col|, act-abs-mean |a_rk|·mean|x_col|, random. Each placement of a conv
 * filter is its own entry here, so pruning can drop a weight at some positions and keep it at
 * others (what the study's decoupled layers allowed).
 */
function entryScores(
  method: Exclude<PruneMethod, 'combined'>,
  layers: DecoupledLayer[],
  stats: InputStats | null,
  seed: number,
): Float32Array[] {
  if ((method === 'act' || method === 'act-abs-mean' || method === 'pixel-mask') && !stats)
    throw new ConfigError(`prune ${method}: needs calibration statistics`);
  // The first decoupled matrix has a column per input pixel: masking a pixel drops its column.
  if (method === 'pixel-mask')
    return layers.map((l, m) =>
      m === 0
        ? columnRankScores(stats!.mean[0], l.csr.values.length, (k) => l.csr.colIdx[k])
        : new Float32Array(l.csr.values.length),
    );
  const random = seededRandom(seed ^ 0xabcdef);
  return layers.map((l, m) => {
    const xs = method === 'act' ? stats!.mean[m] : method === 'act-abs-mean' ? stats!.meanAbs[m] : null;
    if (xs && xs.length !== l.csr.cols)
      throw new ConfigError(`prune ${method}: layer ${l.name} has ${l.csr.cols} inputs, statistics have ${xs.length}`);
    const { values, colIdx } = l.csr;
    return Float32Array.from(values, (v, k) =>
      method === 'random' ? random() : xs ? Math.abs(v) * Math.abs(xs[colIdx[k]]) : Math.abs(v),
    );
  });
}

/** A CSR matrix without the entries flagged in `drop`. */
export function dropEntries(a: CsrHost, drop: Uint8Array): CsrHost {
  let keep = 0;
  for (const d of drop) if (!d) keep++;
  const rowPtr = new Uint32Array(a.rows + 1),
    colIdx = new Uint32Array(keep),
    values = new Float32Array(keep);
  let k = 0;
  for (let r = 0; r < a.rows; r++) {
    for (let e = a.rowPtr[r]; e < a.rowPtr[r + 1]; e++)
      if (!drop[e]) {
        colIdx[k] = a.colIdx[e];
        values[k] = a.values[e];
        k++;
      }
    rowPtr[r + 1] = k;
  }
  return { rows: a.rows, cols: a.cols, rowPtr, colIdx, values };
}

/**
 * Pruning a decoupled net (every layer a sparse matrix): the entries below the cut are removed
 * on the host and the pruned net is uploaded with CSR or dense per layer, whichever is faster
 * on this adapter (or the kernels given).
 */
export class DecoupledPruner extends RankedPruning {
  /** kernels 'auto': the faster kernel per layer on this adapter for batches of `batch`. */
  constructor(
    private layers: DecoupledLayer[],
    stats: InputStats | null,
    s: PruneSettings,
    private kernels: Kernel[] | 'auto' = 'auto',
    private batch = EVAL_BATCH,
  ) {
    super(
      scoreSets(s.method).map((m) => entryScores(m, layers, stats, s.seed)),
      s,
    );
  }

  prunedLayers(ratio: number): DecoupledLayer[] {
    const masks = this.prunedMasks(ratio);
    return this.layers.map((l, m) => ({ ...l, csr: dropEntries(l.csr, masks[m]) }));
  }

  async prunedModel(ratio: number): Promise<SparseNet> {
    const layers = this.prunedLayers(ratio);
    return this.kernels === 'auto' ? SparseNet.fastest(layers, this.batch) : new SparseNet(layers, this.kernels);
  }
}
