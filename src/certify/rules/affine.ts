import { Tensor, tidy } from '../../tensor/tensor.js';
import { add, mul, unaryOp } from '../../ops/elementwise.js';
import { broadcastShapes, numel } from '../../tensor/shape.js';
import { ConfigError, fmtShape } from '../../util/errors.js';
import type { AffineOp, RuleContext } from '../bound-op.js';

/** Helpers the affine rules share: shapes, reshapes, constants spread over an output. */
export const batchOf = (shape: number[]) => (t: Tensor) => t.reshape([t.shape[0], ...shape]);

/** A node in messages: `layer 2 (MaxPool2d(2, 2, 0))` for a module, `add:5 (add)` for a primitive. */
export const describeNode = (node: RuleContext['node']): string =>
  node.module ? `layer ${node.name} (${node.module.describeSelf()})` : `${node.name} (${node.op})`;

/** The one traced operand of an op that is affine in it, and its constants (in the op's order). */
export function affineOperands(ctx: RuleContext): { at: number; constants: (Tensor | null)[] } {
  const { node } = ctx;
  const traced = node.args.flatMap((a, i) => ('node' in a ? [i] : []));
  if (traced.length !== 1)
    throw new ConfigError(
      `certify: ${node.name} (${node.op}) takes ${traced.length} traced operands; its rule bounds one (the other operands constant)`,
    );
  return { at: traced[0], constants: node.args.map((a) => ('constant' in a ? a.constant : null)) };
}

/** A reshape: the same values in another shape (Flatten, reshape, detach). */
export function identityAffine(inShape: number[], outShape: number[]): AffineOp {
  return {
    kind: 'affine',
    inShape,
    outShape,
    apply: batchOf(outShape),
    applyAbs: batchOf(outShape),
    transpose: batchOf(inShape),
    bias: null,
    owned: [],
    dense: async () => ({ diag: new Float64Array(numel(outShape)).fill(1), b: new Float64Array(numel(outShape)) }),
  };
}

/** A constant as one example's values over `shape` ([F]), refusing one that does not broadcast to it. */
export function spread(c: Tensor, shape: number[], what: string): Tensor {
  let fits = true;
  try {
    fits = broadcastShapes(what, [1, ...shape], c.shape).join() === [1, ...shape].join();
  } catch {
    fits = false;
  }
  if (!fits)
    throw new ConfigError(
      `certify: ${what}: the constant ${fmtShape(c.shape)} does not broadcast to one example ${fmtShape(shape)} (a per-batch constant has no bound rule)`,
    );
  return tidy(() =>
    add(Tensor.zeros([1, ...shape], false, c.backend), c)
      .reshape([numel(shape)])
      .keep(),
  );
}

/** x ↦ diag(d)·x + b elementwise (d, b constants spread over the shape; null: 1 and 0). */
export function diagonalAffine(shape: number[], d: Tensor | null, b: Tensor | null): AffineOp {
  const absD = d ? unaryOp('abs', d).keep() : null;
  const view = (t: Tensor | null) => (t ? t.reshape([1, ...shape]) : null);
  const [dv, absDv, bv] = [view(d), view(absD), view(b)];
  const times = (x: Tensor, by: Tensor | null) => (by ? mul(x, by) : x);
  return {
    kind: 'affine',
    inShape: shape,
    outShape: shape,
    apply: (x) => {
      const y = times(batchOf(shape)(x), dv);
      return bv ? add(y, bv) : y;
    },
    applyAbs: (r) => times(batchOf(shape)(r), absDv),
    transpose: (l) => times(batchOf(shape)(l), dv),
    bias: b,
    owned: [d, absD, b].filter((t): t is Tensor => t !== null),
    dense: async () => ({
      diag: d ? Float64Array.from(await d.read()) : new Float64Array(numel(shape)).fill(1),
      b: b ? Float64Array.from(await b.read()) : new Float64Array(numel(shape)),
    }),
  };
}

/** α·x as a diagonal map. */
export function scaledAffine(shape: number[], alpha: number, backend: RuleContext['backend']): AffineOp {
  return diagonalAffine(shape, Tensor.full([numel(shape)], alpha, false, backend), null);
}
