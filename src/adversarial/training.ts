import { Tensor, tidy } from '../tensor/tensor.js';
import { add, clamp01 } from '../ops/elementwise.js';
import { argmax } from '../ops/argmax.js';
import type { Targets } from '../ops/composite.js';
import { take, type Dataset } from '../data/dataset.js';
import { seededRandom } from '../nn/random.js';
import type { AdversarialSpec, TrainConfig } from '../nn/config.js';
import { dataLoss, type BatchHook } from '../nn/train.js';
import type { Classifier } from '../nn/evaluate.js';
import { signedGradientStep } from './pgd.js';
import { withFrozen } from './frozen.js';

/** A model adversarial training attacks: it classifies and its parameters can be frozen. */
type Attacked = Classifier & { parameters(): Tensor[] };

/**
 * Adversarial training (settings: AdversarialSpec): each step trains on adversarial versions of
 * its batch, made against the model as it is, with the training loss as the attack's objective,
 * by the attacks' own signed-gradient step (pgd.ts).
 * - fgsm-rs (Wong et al. 2020, "fast is better than free"): a uniform random start in the
 *   L∞ ball, one signed-gradient step of 1.25ε, projected.
 * - pgd (Madry et al. 2018): a uniform random start, `steps` signed-gradient steps of 2.5ε/steps.
 * Attacks see the model without dropout; the random starts depend on (seed, iteration) only,
 * so a resumed run makes the same adversarial batches.
 */

/**
 * The adversarial batch for step `draw` (inside tidy): x [n, pixels] in [0, 1], t the targets
 * the loss takes, `loss` the training loss. Each step's intermediates are released as it ends,
 * so memory does not grow with the number of steps.
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
  return withFrozen(net, () => {
    let adv = clamp01(add(x, Tensor.fromArray(start, [...x.shape], false, x.backend)));
    let kept: Tensor | null = null; // an iterate of ours, held across one step's tidy
    for (let k = 0; k < spec.steps; k++) {
      const step = () => signedGradientStep(net, x, adv, (y) => loss(y, t), spec.stepSize, spec.epsilon).next;
      // The last step's tensors go to the caller's scope; every other step releases its own.
      const last = k === spec.steps - 1;
      const next = last ? step() : tidy(() => step().keep());
      kept?.dispose();
      kept = last ? null : next;
      adv = next;
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

/** Test images whose PGD accuracy adversarial training watches at each evaluation. */
const HELD_OUT = 200;

/**
 * What trainModel takes to train adversarially (`options.batchHook`): the adversarial batch of
 * each step, the held-out robust accuracy of each evaluation, and catastrophic overfitting.
 */
export function adversarialTraining(
  spec: AdversarialSpec,
  loss: (y: Tensor, t: Targets) => Tensor,
  seed: number,
): BatchHook<Attacked> {
  return {
    batch: (net, x, t, iteration) => adversarialBatch(net, spec, loss, x, t, seed, iteration),
    evaluate: (net, test) => heldOutRobustAccuracy(net, spec, loss, take(test, HELD_OUT)),
    overfitting: catastrophicOverfitting,
  };
}

/** The batch hook a training config asks for: adversarial training where it names one, else none. */
export function batchHookFor(config: TrainConfig): BatchHook<Attacked> | undefined {
  const spec = config.adversarial;
  return spec ? adversarialTraining(spec, (y, t) => dataLoss(config, y, t), config.seed) : undefined;
}
