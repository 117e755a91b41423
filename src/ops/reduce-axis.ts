import reduceWgsl from '../../shaders/reduce.wgsl';
import reduceColumnsWgsl from '../../shaders/reduce_columns.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { kernelKnob } from '../gpu/choices.js';
import { Tensor } from '../tensor/tensor.js';
import type { Backend } from '../gpu/backend.js';
import { numel, sameShape, type Shape } from '../tensor/shape.js';
import { unaryKernel } from './vector-width.js';
import { recordShape, tuneFamily, type TunedBucket } from '../gpu/tuning.js';
import type { Tuner } from '../gpu/tuner.js';

// The reduction kernels without autograd: sum()/mean()/max() in reduce.ts add the backward
// rules; elementwise ops use sumTo() to undo broadcasting in theirs.

/** Sum (times `scale`) or max over one axis; the axis stays with size 1 (keepdims). */
export function reduceAxis(x: Tensor, axis: number, isMax: boolean, scaleBy = 1): Tensor {
  const outer = numel(x.shape.slice(0, axis));
  const reduced = x.shape[axis];
  const inner = numel(x.shape.slice(axis + 1));
  const outShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const be = x.backend;
  const out = Tensor.empty(be, outShape, isMax ? 'max' : 'sum');
  recordShape(be, ['reduce', outer, reduced, inner, isMax]);
  encodeReduce(
    be,
    reduceKernel(be, outer, inner, reduced),
    x.buffer,
    out.buffer,
    outer,
    reduced,
    inner,
    isMax,
    scaleBy,
  );
  return out;
}

function encodeReduce(
  be: Backend,
  kernel: 'columns' | 'tree',
  x: GPUBuffer,
  out: GPUBuffer,
  outer: number,
  reduced: number,
  inner: number,
  isMax: boolean,
  scaleBy: number,
): void {
  if (kernel !== 'tree') {
    const W = unaryKernel(be, inner) === 'vec4' ? 4 : 1;
    const pipeline = be.pipeline(
      `reduce_columns:${W}`,
      () => `${reduceColumnsWgsl}\nalias XV = ${W === 4 ? 'vec4f' : 'f32'};\nconst W = ${W}u;\n`,
      { IS_MAX: isMax },
    );
    be.runner.dispatch(
      pipeline,
      [x, out],
      { outer, reduced, inner, scale: scaleBy },
      workgroups1d((outer * inner) / W, 64),
    );
    return;
  }
  const groups = outer * inner;
  const gx = Math.min(groups, 65535);
  be.runner.dispatch(
    be.pipeline('reduce', reduceWgsl, { IS_MAX: isMax }),
    [x, out],
    { outer, reduced, inner, scale: scaleBy },
    [Math.max(gx, 1), Math.ceil(groups / gx) || 1],
  );
}

/** The shape bucket reductions share a tuned choice in: each size rounded up to a power of two, and whether vec4s line up. */
export const reduceBucket = (outer: number, reduced: number, inner: number): string => {
  const p2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(x, 1)));
  return `reduce:${p2(outer)}x${p2(reduced)}x${p2(inner)}:${inner % 4 === 0 ? 4 : 1}`;
};

/** Times both reduction kernels on every recorded shape whose bucket the tuner lacks (on buffers filled on the GPU). */
export function tuneReductions(be: Backend, tuner: Tuner, shapes: Iterable<string>): Promise<TunedBucket[]> {
  return tuneFamily(be, tuner, shapes, 'reduce', (args) => {
    const [outer, reduced, inner, isMax] = args as [number, number, number, boolean];
    return {
      bucket: reduceBucket(outer, reduced, inner),
      rule: ruleReduce(outer, inner),
      sizes: [outer * reduced * inner, outer * inner],
      filled: 1,
      candidates: ([x, out]) =>
        (['columns', 'tree'] as const).map((variant) => ({
          variant,
          encode: () => encodeReduce(be, variant, x, out, outer, reduced, inner, isMax, 1),
        })),
    };
  });
}

/** Outputs from which one invocation per output (reduce_columns.wgsl) beats a workgroup per output. */
const COLUMN_KERNEL_MIN_OUTPUTS = 256;

/** The axis-reduction kernel (`pin({ reduce: 'tree' })`), else tuned, else by size. */
export const REDUCE_KERNEL = kernelKnob('reduce', ['columns', 'tree'] as const);

/**
 * 'columns': one invocation per output (per 4 outputs where inner % 4 == 0); 'tree': one
 * workgroup per output. The same bits either way, so this is only a speed choice: columns
 * where there are enough outputs to keep every core busy.
 */
export const reduceKernel = (be: Backend, outer: number, inner: number, reduced = 1): 'columns' | 'tree' =>
  be.kernels.pinnedVariant(REDUCE_KERNEL) ??
  ((be.kernels.tuner?.lookup(reduceBucket(outer, reduced, inner)) as 'columns' | 'tree' | undefined) ||
    ruleReduce(outer, inner));

/** Today's rule: columns where there are enough outputs to keep every core busy. */
const ruleReduce = (outer: number, inner: number): 'columns' | 'tree' =>
  outer * inner >= COLUMN_KERNEL_MIN_OUTPUTS ? 'columns' : 'tree';

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
