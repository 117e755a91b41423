import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { sameShape } from '../tensor/shape.js';
import { add, binaryOp, exp, log, mul, scale, square, sub } from './elementwise.js';
import { max, mean, sum } from './reduce.js';
import { matmul } from './matmul.js';
import { dropoutMask } from './dropout_mask.js';
import { gatherRows } from './gather_rows.js';

/** Composite ops: built from primitives, so they need no backward code of their own. */

/** x·Wᵀ + b with W stored [out, in] (PyTorch's nn.Linear layout). */
export const linear = (x: Tensor, weight: Tensor, bias: Tensor): Tensor =>
  add(matmul(x, weight, { transB: true }), bias);

/** Inverted dropout: x·mask/keep; identity when keep = 1. */
export function dropout(x: Tensor, keep: number, seed: number, stream: number): Tensor {
  if (keep >= 1) return x;
  return mul(x, dropoutMask(x.backend, x.shape, keep, seed, stream));
}

/** A loss's targets: one-hot rows [batch, classes], or one class index per row (numbers, or a tensor [batch]). */
export type Targets = Tensor | ArrayLike<number>;

/** One-hot targets for outputs y [batch, classes]: given as such, or made from class indices (on the GPU for a tensor). */
function oneHotTargets(op: string, y: Tensor, targets: Targets): Tensor {
  if (y.shape.length !== 2) throw new ShapeError(`${op}: outputs ${fmtShape(y.shape)} must be [batch, classes]`);
  const [n, classes] = y.shape;
  if (targets instanceof Tensor) {
    if (sameShape(y.shape, targets.shape)) return targets;
    if (targets.shape.length !== 1 || targets.shape[0] !== n)
      throw new ShapeError(
        `${op}: outputs ${fmtShape(y.shape)} and targets ${fmtShape(targets.shape)} do not match: give one-hot [${n}, ${classes}] or class indices [${n}]`,
      );
    const eye = new Float32Array(classes * classes);
    for (let c = 0; c < classes; c++) eye[c * classes + c] = 1;
    return gatherRows(Tensor.fromArray(eye, [classes, classes], false, y.backend), targets);
  }
  if (targets.length !== n) throw new ShapeError(`${op}: ${targets.length} class indices for a batch of ${n}`);
  const hot = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const c = targets[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new ShapeError(`${op}: target ${i} is ${c}, not a class index in [0, ${classes})`);
    hot[i * classes + c] = 1;
  }
  return Tensor.fromArray(hot, [n, classes], false, y.backend);
}

/** The study's linear-quadratic cost: mean over the batch of Σ_classes (y − onehot)². */
export function quadraticLoss(y: Tensor, targets: Targets): Tensor {
  const t = oneHotTargets('quadraticLoss', y, targets);
  return sum(square(sub(y, t)), undefined, 1 / y.shape[0]);
}

/** log Σ exp(z) per row, shifted by the row max so logits of ±1e4 do not overflow. */
export function logSumExp(z: Tensor): Tensor {
  const m = max(z, 1); // no gradient: the shift cancels
  return add(log(sum(exp(sub(z, m)), 1)), m);
}

/** Mean over the batch of −Σ onehot · log softmax(z). */
export function softmaxCrossEntropy(logits: Tensor, targets: Targets): Tensor {
  const t = oneHotTargets('softmaxCrossEntropy', logits, targets);
  const picked = sum(mul(logits, t), 1);
  return mean(sub(logSumExp(logits), picked));
}

/**
 * Carlini–Wagner margin, summed over the batch: Σ_rows max_{j≠y} z_j − z_y (positive once a row
 * is misclassified). The runner-up is picked without a gradient, so d/dz = onehot(runner-up) −
 * onehot(y): the subgradient of the max, as PyTorch's max gives it (ties: every tied entry).
 */
export function marginLoss(logits: Tensor, targets: Targets): Tensor {
  const t = oneHotTargets('marginLoss', logits, targets);
  const others = sub(logits, scale(t, 1e30)); // the true class can never be the runner-up
  const runnerUp = binaryOp('equal', others, max(others, 1));
  return sum(mul(logits, sub(runnerUp, t)));
}

/** TensorFlow's l2_loss times λ: λ·½Σw², summed over the given weights. */
export function l2Penalty(weights: Tensor[], lambda: number): Tensor {
  return weights.map((w) => sum(square(w), undefined, lambda / 2)).reduce((a, b) => add(a, b));
}

/**
 * What a detector-aware attacker minimises besides its attack loss, from the raw outputs z and a
 * class c per row (no gradient through the choice of c, as the margin's runner-up):
 * 'onehot': ‖z − onehot(c)‖², the squared distance to a one-hot vector (the linear-quadratic
 * detector's score once c is the top class); 'msp': logΣexp(z) − z_c = −log(softmax_c), the
 * baseline detector's. c is the top class of z, or with `avoid` (one-hot rows of the true
 * labels) the top class among the others: the output then looks like a confident wrong answer,
 * which pulls with the attack instead of against it while the image is still classified right.
 * With `toward` (one-hot rows), c is given. Per row, then summed (or averaged, to match a mean
 * loss) over the batch.
 */
export type DetectorScore = 'onehot' | 'msp' | 'max';

export function detectorPenalty(
  logits: Tensor,
  kind: DetectorScore,
  reduce: 'sum' | 'mean',
  c: { avoid?: Tensor; toward?: Tensor } = {},
): Tensor {
  if (logits.shape.length !== 2)
    throw new ShapeError(`detectorPenalty: expects logits [rows, classes], got ${fmtShape(logits.shape)}`);
  const rows = c.avoid ?? c.toward;
  if (rows && !sameShape(rows.shape, logits.shape))
    throw new ShapeError(`detectorPenalty: classes ${fmtShape(rows.shape)} for logits ${fmtShape(logits.shape)}`);
  const ranked = c.avoid ? sub(logits, scale(c.avoid, 1e4)) : logits;
  const top = c.toward ?? binaryOp('equal', ranked, max(ranked, 1));
  const picked = sum(mul(logits, top), 1);
  const perRow =
    kind === 'onehot'
      ? sum(square(sub(logits, top)), 1)
      : kind === 'msp'
        ? sub(logSumExp(logits), picked)
        : scale(picked, -1);
  return sum(perRow, undefined, reduce === 'mean' ? 1 / logits.shape[0] : 1);
}
