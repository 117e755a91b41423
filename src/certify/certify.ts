import type { Dataset } from '../data/dataset.js';
import { deepFreeze } from '../util/freeze.js';
import { SparsegradError } from '../util/errors.js';
import type { Module } from '../nn/module.js';
import { predict } from '../nn/evaluate.js';
import { PGD } from '../adversarial/attack.js';
import { suiteAttacks, type AttackSuite } from '../adversarial/suite.js';
import { boundGraph } from './graph.js';
import { numel } from '../tensor/shape.js';
import { crown, ibp, linfBoxes, marginSpecs } from './bounds.js';

export const CERTIFY_METHODS = deepFreeze(['ibp', 'crown'] as const);
export type CertifyMethod = (typeof CERTIFY_METHODS)[number];

/** One ε: the share of images each method certifies, and the strongest attack's robust accuracy. */
export interface CertifyRow {
  epsilon: number;
  method: CertifyMethod | 'pgd';
  /** Certified share (IBP, CROWN), or robust accuracy under the worst of the PGD attacks. */
  accuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Per image at one ε: the lower bound of its smallest margin per method, and whether PGD broke it. */
export interface CertifyImages {
  epsilon: number;
  lowest: Partial<Record<CertifyMethod, Float32Array>>;
  broken: Uint8Array | null;
}

/**
 * Certified robustness of `model` on `data` at each ε: per image, the L∞ ball of radius ε
 * (clipped to [0, 1]) is certified when the lower bound of every margin z_y − z_j is above 0.
 * A universal noise of limit ε is one point of every such ball, so this is also a lower bound on
 * robustness to the study's universal noise. With `attacks`, PGD at the same ε gives the upper
 * bound; an image both certified and broken would be a bug, and is refused.
 */
export async function certifyModel(
  model: Module,
  data: Dataset,
  epsilons: number[],
  methods: CertifyMethod[],
  attacks: AttackSuite | null,
  opts: { batch?: number; progress?: (what: string, done: number, total: number) => void } = {},
): Promise<{ clean: number; rows: CertifyRow[]; images: CertifyImages[] }> {
  const batch = opts.batch ?? 100;
  const graph = boundGraph(model, [data.pixels]);
  const classes = numel(graph.nodes[graph.output].shape);
  const n = data.count,
    P = data.pixels,
    rows: CertifyRow[] = [],
    images: CertifyImages[] = [];
  const predictions = await predict(model, data);
  const clean = predictions.reduce((s, p, i) => s + (p === data.labels[i] ? 1 : 0), 0) / n;
  try {
    for (const epsilon of epsilons) {
      const at: CertifyImages = { epsilon, lowest: {}, broken: null };
      for (const method of methods) {
        const lowest = new Float32Array(n);
        const t0 = performance.now();
        for (let i0 = 0; i0 < n; i0 += batch) {
          const i1 = Math.min(n, i0 + batch);
          const m = i1 - i0;
          const { lo, hi } = linfBoxes(data.images.subarray(i0 * P, i1 * P), epsilon);
          const spec = marginSpecs(data.labels.subarray(i0, i1), classes);
          const { bounds } = await (method === 'ibp' ? ibp : crown)(graph, lo, hi, m, spec, classes - 1);
          for (let i = 0; i < m; i++) {
            let least = Infinity;
            for (let q = 0; q < classes - 1; q++) least = Math.min(least, bounds[i * (classes - 1) + q]);
            lowest[i0 + i] = least;
          }
          opts.progress?.(`${method} ε=${epsilon}`, i1, n);
        }
        const seconds = (performance.now() - t0) / 1000;
        at.lowest[method] = lowest;
        const certified = lowest.reduce((s, b) => s + (b > 0 ? 1 : 0), 0);
        rows.push({ epsilon, method, accuracy: certified / n, seconds, imagesPerSecond: n / seconds });
      }
      if (attacks) {
        const broken = Uint8Array.from(predictions, (p, i) => (p === data.labels[i] ? 0 : 1));
        const t0 = performance.now();
        for (const a of suiteAttacks({ ...attacks, epsilons: [epsilon] }, epsilon)) {
          const r = await new PGD(a).run(model, data, (done, total) =>
            opts.progress?.(`pgd-${a.loss} ε=${epsilon}`, done, total),
          );
          r.predictions.forEach((p, i) => {
            if (p !== data.labels[i]) broken[i] = 1;
          });
        }
        const seconds = (performance.now() - t0) / 1000;
        at.broken = broken;
        rows.push({
          epsilon,
          method: 'pgd',
          accuracy: broken.reduce((s, b) => s + (1 - b), 0) / n,
          seconds,
          imagesPerSecond: n / seconds,
        });
        for (const [method, lowest] of Object.entries(at.lowest)) {
          const bad = lowest.findIndex((b, i) => b > 0 && broken[i] === 1);
          if (bad >= 0)
            throw new SparsegradError(
              `certify: image ${bad} is certified by ${method} at ε=${epsilon} (margin ≥ ${lowest[bad]}) and broken by PGD: a bound is unsound; please report it`,
            );
        }
      }
      images.push(at);
    }
  } finally {
    graph.dispose();
  }
  return { clean, rows, images };
}
