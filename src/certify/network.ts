import { Tensor, backward, tidy } from '../tensor/tensor.js';
import { matmul } from '../ops/matmul.js';
import { conv2d } from '../ops/conv2d.js';
import { avgPool2d } from '../ops/pool2d.js';
import { gatherRows } from '../ops/gather_rows.js';
import { add, unaryOp } from '../ops/elementwise.js';
import { ConfigError } from '../gpu/errors.js';
import { Conv2d, Dropout, Flatten, Linear, Pool2d, ReLU, type Layer } from '../nn/layers.js';
import type { Model } from '../nn/model.js';

/**
 * A model as certification sees it: a chain of affine maps and ReLUs (Dropout is the identity
 * at test time; max-pooling has no linear relaxation here and is refused). Each affine map can
 * be applied (with its bias), applied with |W| and no bias (an interval's radius), and
 * transposed (the backward pass of linear bounds, Λ ↦ ΛW).
 */
export type Step = AffineStep | { kind: 'relu'; features: number };

export interface AffineStep {
  kind: 'affine';
  name: string;
  inShape: number[];
  outShape: number[];
  /** x ↦ Wx + b, batched: [n, …inShape] → [n, …outShape]. */
  apply(x: Tensor): Tensor;
  /** r ↦ |W| r, batched (no bias). */
  applyAbs(r: Tensor): Tensor;
  /** Λ ↦ ΛW, batched: [n, …outShape] → [n, …inShape]. */
  transpose(lambda: Tensor): Tensor;
  /** b spread over the output ([F_out], what Λ·b sums against); null for maps without one. */
  bias: Tensor | null;
  /** Tensors the step made (|W|, the bias map), released by disposeSteps. */
  owned: Tensor[];
  /** Linear maps: the rows of W and b of these outputs ([k, F_in], [k, 1]): e_jᵀW without a product. */
  rows?: (outputs: Tensor) => { W: Tensor; b: Tensor };
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The transpose of a linear map by autograd: the gradient of Λ·f(x) with respect to x. */
function vjp(f: (x: Tensor) => Tensor, inShape: number[], lambda: Tensor): Tensor {
  const x = Tensor.zeros([lambda.shape[0], ...inShape], true, lambda.backend);
  const y = f(x);
  backward(y, lambda.reshape(y.shape));
  const g = x.grad!;
  x.grad = null;
  return g;
}

function affineOf(m: Layer, name: string, inShape: number[]): AffineStep | null {
  const outShape = m.outputShape(inShape);
  const reshapeTo = (s: number[]) => (t: Tensor) => t.reshape([t.shape[0], ...s]);
  const base = { kind: 'affine' as const, name, inShape, outShape };
  if (m instanceof Linear) {
    const W = m.weight!.detach();
    const absW = unaryOp('abs', W).keep();
    return {
      ...base,
      apply: (x) => add(matmul(x.reshape([x.shape[0], numel(inShape)]), W, { transB: true }), m.bias!.detach()),
      applyAbs: (r) => matmul(r.reshape([r.shape[0], numel(inShape)]), absW, { transB: true }),
      transpose: (l) => matmul(l.reshape([l.shape[0], numel(outShape)]), W),
      bias: m.bias!.detach(),
      owned: [absW],
      rows: (outputs) => ({ W: gatherRows(W, outputs), b: gatherRows(m.bias!.detach().reshape([m.out, 1]), outputs) }),
    };
  }
  if (m instanceof Conv2d) {
    const W = m.weight!.detach();
    const absW = unaryOp('abs', W).keep();
    const [c, h, w] = outShape;
    // The bias per output value: each channel's bias over its h×w positions.
    const bias = tidy(() =>
      matmul(m.bias!.detach().reshape([c, 1]), Tensor.full([1, h * w], 1, false, W.backend)).reshape([c * h * w]),
    ).keep();
    const product = (x: Tensor, weight: Tensor) =>
      conv2d(x.reshape([x.shape[0], ...inShape]), weight, m.padding, m.stride);
    return {
      ...base,
      apply: (x) => add(product(x, W), m.bias!.detach().reshape([c, 1, 1])),
      applyAbs: (r) => product(r, absW),
      transpose: (l) => vjp((x) => product(x, W), inShape, l),
      bias,
      owned: [absW, bias],
    };
  }
  if (m instanceof Flatten)
    return {
      ...base,
      apply: reshapeTo(outShape),
      applyAbs: reshapeTo(outShape),
      transpose: reshapeTo(inShape),
      bias: null,
      owned: [],
    };
  if (m instanceof Pool2d && m.type === 'AvgPool2d') {
    const pool = (x: Tensor) =>
      avgPool2d(x.reshape([x.shape[0], ...inShape]), { kernel: m.kernel, stride: m.stride, padding: m.padding });
    return { ...base, apply: pool, applyAbs: pool, transpose: (l) => vjp(pool, inShape, l), bias: null, owned: [] };
  }
  return null;
}

/** The model's chain of steps; one line naming the layer it cannot bound. */
export function certifiableSteps(model: Model): Step[] {
  const steps: Step[] = [];
  for (const { module: m, input, name } of model.leaves()) {
    if (m instanceof Dropout) continue;
    if (m instanceof ReLU) {
      steps.push({ kind: 'relu', features: numel(input) });
      continue;
    }
    const a = affineOf(m, name, input);
    if (!a)
      throw new ConfigError(
        `certify: layer ${name} (${m.describeSelf()}) has no bound here; certify takes Linear, Conv2d, AvgPool2d, Flatten, ReLU and Dropout`,
      );
    steps.push(a);
  }
  if (steps.at(-1)?.kind !== 'affine')
    throw new ConfigError('certify: the model must end with a Linear (its outputs are the logits)');
  return steps;
}

/** Releases what the steps hold (|W| copies, bias maps). */
export function disposeSteps(steps: Step[]): void {
  for (const s of steps) if (s.kind === 'affine') for (const t of s.owned) t.dispose();
}
