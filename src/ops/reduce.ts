import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad } from '../tensor/tensor.js';
import type { Shape } from '../tensor/shape.js';
import { record } from './kernel.js';
import { mul } from './elementwise.js';
import { reduceAxis } from './reduce-axis.js';

export { reduceKernel, sumTo } from './reduce-axis.js';

function normAxis(op: string, x: Tensor, axis: number): number {
  const a = axis < 0 ? axis + x.shape.length : axis;
  if (a < 0 || a >= x.shape.length) throw new ShapeError(`${op}: axis ${axis} out of range for ${fmtShape(x.shape)}`);
  return a;
}

/** Sum over `axis` (keepdims), or over everything to shape [1] when axis is omitted. */
export function sum(x: Tensor, axis?: number, scaleBy = 1): Tensor {
  const flat = axis === undefined;
  const src = flat ? x.reshape([x.size]) : x;
  const a = flat ? 0 : normAxis('sum', x, axis);
  const out = reduceAxis(src, a, false, scaleBy);
  // d sum / dx = scale, broadcast back over the reduced axis.
  return record(out, [x], (g) => accumulateGrad(x, broadcastTo(g, x.shape, scaleBy)));
}

export const mean = (x: Tensor, axis?: number): Tensor =>
  sum(x, axis, 1 / (axis === undefined ? x.size : x.shape[normAxis('mean', x, axis)]));

/** Max over `axis` (keepdims); no gradient (used to stabilise softmax, where it cancels). */
export function max(x: Tensor, axis: number): Tensor {
  return reduceAxis(x, normAxis('max', x, axis), true);
}

/** g (shape with 1s) expanded to `shape`, times s. */
function broadcastTo(g: Tensor, shape: Shape, s: number): Tensor {
  const ones = Tensor.full(shape, s, false, g.backend);
  return mul(ones, g.reshape(g.shape.length === shape.length ? g.shape : shape.map(() => 1)));
}
