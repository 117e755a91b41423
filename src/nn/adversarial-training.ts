import { Tensor, backward, tidy } from '../tensor/tensor.js';
import { add, clamp01, clampAbs, scale, sign, sub } from '../ops/elementwise.js';
import { argmax } from '../ops/argmax.js';
import { ConfigError } from '../gpu/errors.js';
import type { Dataset } from '../data/dataset.js';
import { seededRandom } from './random.js';
import type { Targets } from '../ops/composite.js';
import type { Backend } from '../gpu/backend.js';
import type { ForwardOptions } from './layer-spec.js';

/** What an attack needs of the model being trained. */
interface Attacked {
  readonly backend: Backend;
  readonly params: { tensor: Tensor }[];
  forward(x: Tensor, opts: ForwardOptions): Tensor;
}

/**
 * Adversarial training: each step trains on adversarial versions of its batch, made against
 * the model as it is, with the training loss as the attack's objective.
 * - fgsm-rs (Wong et al. 2020, "fast is better than free"): a uniform random start in the
 *   L∞ ball, one signed-gradient step of 1.25ε, projected.
 * - pgd (Madry et al. 2018): a uniform random start, `steps` signed-gradient steps of 2.5ε/steps.
 * Attacks see the model without dropout; the random starts depend on (seed, iteration) only,
 * so a resumed run makes the same adversarial batches.
 */
export interface AdversarialSpec {
  kind: 'fgsm-rs' | 'pgd';
  epsilon: number;
  steps: number;
  stepSize: number;
}

/** "fgsm-rs:0.1" or "pgd:0.1,7" (ε, steps). */
export function parseAdversarial(v: string): AdversarialSpec {
  const m = /^(fgsm-rs|pgd):([\d.eE+-]+)(?:,(\d+))?$/.exec(v.trim());
  const epsilon = m ? Number(m[2]) : NaN;
  if (
    !m ||
    !(epsilon > 0 && epsilon <= 1) ||
    (m[1] === 'fgsm-rs' && m[3] !== undefined) ||
    (m[1] === 'pgd' && !(Number(m[3]) >= 1))
  )
    throw new ConfigError(
      `--adversarial ${v}: use fgsm-rs:ε or pgd:ε,steps with 0 < ε ≤ 1 and steps ≥ 1 (e.g. fgsm-rs:0.1, pgd:0.1,7)`,
    );
  return m[1] === 'fgsm-rs'
    ? { kind: 'fgsm-rs', epsilon, steps: 1, stepSize: 1.25 * epsilon }
    : { kind: 'pgd', epsilon, steps: Number(m[3]), stepSize: (2.5 * epsilon) / Number(m[3]) };
}

export function validateAdversarial(a: AdversarialSpec): void {
  const ok =
    (a?.kind === 'fgsm-rs' || a?.kind === 'pgd') &&
    a.epsilon > 0 &&
    a.epsilon <= 1 &&
    Number.isInteger(a.steps) &&
    a.steps >= 1 &&
    a.stepSize > 0;
  if (!ok)
    throw new ConfigError(
      `config: adversarial = ${JSON.stringify(a)}: must be {kind: "fgsm-rs" | "pgd", epsilon in (0, 1], steps ≥ 1, stepSize > 0}`,
    );
}

/** Runs fn with the parameters frozen (the attack wants the input's gradient only). */
function frozen<T>(net: Attacked, fn: () => T): T {
  const was = net.params.map((p) => p.tensor.requiresGrad);
  net.params.forEach((p) => (p.tensor.requiresGrad = false));
  try {
    return fn();
  } finally {
    net.params.forEach((p, i) => (p.tensor.requiresGrad = was[i]));
  }
}

/**
 * The adversarial batch for step `it` (inside tidy): x [n, pixels] in [0, 1], t the targets the
 * loss takes, `loss` the training loss. `draw` keys the random start (the iteration).
 */
export function adversarialBatch(
  net: Attacked,
  spec: AdversarialSpec,
  loss: (y: Tensor, t: Targets) => Tensor,
  x: Tensor,
  t: Targets,
  seed: number,
  draw: number,
): Tensor {
  const random = seededRandom((seed * 1_000_003 + draw * 7919 + 17) >>> 0);
  const start = Float32Array.from({ length: x.size }, () => (2 * random() - 1) * spec.epsilon);
  return frozen(net, () => {
    let adv = clamp01(add(x, Tensor.fromArray(start, [...x.shape], false, x.backend)));
    for (let k = 0; k < spec.steps; k++) {
      const leaf = adv.detach(); // a leaf: the gradient stops here
      leaf.requiresGrad = true;
      backward(loss(net.forward(leaf, { train: false }), t));
      const g = leaf.grad!;
      leaf.requiresGrad = false;
      const moved = add(adv, scale(sign(g), spec.stepSize));
      adv = clamp01(add(x, clampAbs(sub(moved, x), spec.epsilon)));
    }
    return adv;
  });
}

/**
 * Robust accuracy on a held-out batch under PGD of the same ε (10 steps of 2.5ε/10, a fixed
 * random start): what catastrophic overfitting of fast adversarial training shows in (robust
 * accuracy collapsing while clean accuracy holds; Wong et al. 2020).
 */
export async function heldOutRobustAccuracy(
  net: Attacked,
  spec: AdversarialSpec,
  loss: (y: Tensor, t: Targets) => Tensor,
  held: Dataset,
): Promise<number> {
  const pgd10: AdversarialSpec = { kind: 'pgd', epsilon: spec.epsilon, steps: 10, stepSize: (2.5 * spec.epsilon) / 10 };
  const predicted = tidy(() => {
    const x = Tensor.fromArray(held.images, [held.count, held.pixels], false, net.backend);
    const adv = adversarialBatch(net, pgd10, loss, x, held.labels, 0, 0);
    return argmax(net.forward(adv, { train: false })).keep();
  });
  const p = await predicted.read();
  predicted.dispose();
  let right = 0;
  for (let i = 0; i < held.count; i++) if (p[i] === held.labels[i]) right++;
  return right / held.count;
}

/** How far held-out PGD accuracy may fall below its best before it counts as catastrophic overfitting. */
export const OVERFIT_DROP = 0.2;

/**
 * The first evaluation whose held-out PGD accuracy is more than OVERFIT_DROP below the best of
 * the evaluations before it (Wong et al. 2020 saw it fall from ~40% to 0 within an epoch), or null.
 */
export function catastrophicOverfitting(
  history: readonly { iteration: number; robustAccuracy?: number }[],
): { iteration: number; robustAccuracy: number; best: number } | null {
  let best = -Infinity;
  for (const h of history) {
    if (h.robustAccuracy === undefined) continue;
    if (h.robustAccuracy < best - OVERFIT_DROP)
      return { iteration: h.iteration, robustAccuracy: h.robustAccuracy, best };
    best = Math.max(best, h.robustAccuracy);
  }
  return null;
}
