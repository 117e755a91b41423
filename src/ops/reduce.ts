import reduceWgsl from '../../shaders/reduce.wgsl';
import reduceColumnsWgsl from '../../shaders/reduce_columns.wgsl';
import { workgroups1d } from '../gpu/dispatch';
import { getPipeline } from '../gpu/pipelines';
import { runner, f32 } from '../gpu/runner';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { numel, sameShape, type Shape } from '../tensor/shape';
import { record } from './kernel';
import { mul, unaryKernel } from './elementwise';

/** Sum (times `scale`) or max over one axis; the axis stays with size 1 (keepdims). */
function reduceAxis(x: Tensor, axis: number, isMax: boolean, scaleBy = 1): Tensor {
  const outer = numel(x.shape.slice(0, axis));
  const reduced = x.shape[axis];
  const inner = numel(x.shape.slice(axis + 1));
  const outShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const out = Tensor.empty(outShape, isMax ? 'max' : 'sum');
  if (reduceKernel(outer, inner) !== 'tree') {
    const W = unaryKernel(inner) === 'vec4' ? 4 : 1;
    const pipeline = getPipeline(`reduce_columns:${W}`, () => `${reduceColumnsWgsl}\nalias XV = ${W === 4 ? 'vec4f' : 'f32'};\nconst W = ${W}u;\n`, { IS_MAX: isMax });
    runner.dispatch(pipeline, [x.buffer, out.buffer], [outer, reduced, inner, f32(scaleBy)], workgroups1d((outer * inner) / W, 64));
    return out;
  }
  const groups = outer * inner;
  const gx = Math.min(groups, 65535);
  runner.dispatch(getPipeline('reduce', reduceWgsl, { IS_MAX: isMax }), [x.buffer, out.buffer], [outer, reduced, inner, f32(scaleBy)], [Math.max(gx, 1), Math.ceil(groups / gx) || 1]);
  return out;
}

/** Outputs from which one invocation per output (reduce_columns.wgsl) beats a workgroup per output. */
const COLUMN_KERNEL_MIN_OUTPUTS = 256;

/**
 * 'columns': one invocation per output (per 4 outputs where inner % 4 == 0); 'tree': one
 * workgroup per output. The same bits either way, so this is only a speed choice: columns
 * where there are enough outputs to keep every core busy.
 */
export const reduceKernel = (outer: number, inner: number): 'columns' | 'tree' => forcedReduce ?? (outer * inner >= COLUMN_KERNEL_MIN_OUTPUTS ? 'columns' : 'tree');

let forcedReduce: 'columns' | 'tree' | null = null;
/** Pins the reduce kernel (tests compare the two); null chooses by size again. */
export function forceReduceKernel(k: 'columns' | 'tree' | null): void {
  forcedReduce = k;
}

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

export const mean = (x: Tensor, axis?: number): Tensor => sum(x, axis, 1 / (axis === undefined ? x.size : x.shape[normAxis('mean', x, axis)]));

/** Max over `axis` (keepdims); no gradient (used to stabilise softmax, where it cancels). */
export function max(x: Tensor, axis: number): Tensor {
  return reduceAxis(x, normAxis('max', x, axis), true);
}

/** g (shape with 1s) expanded to `shape`, times s. */
function broadcastTo(g: Tensor, shape: Shape, s: number): Tensor {
  const ones = Tensor.full(shape, s);
  return mul(ones, g.reshape(g.shape.length === shape.length ? g.shape : shape.map(() => 1)));
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  let t = g;
  const lead = g.shape.length - shape.length;
  for (let i = 0; i < g.shape.length; i++) {
    const target = i < lead ? 1 : shape[i - lead];
    if (t.shape[i] !== target) t = reduceAxis(t, i, false);
  }
  return t.reshape(shape);
}
