import unaryWgsl from '../../shaders/unary.wgsl';
import binaryWgsl from '../../shaders/binary.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError } from '../util/errors.js';
import { Tensor, accumulateGrad, backendOf } from '../tensor/tensor.js';
import { broadcastShapes, sameShape, stridesOf, type Shape } from '../tensor/shape.js';
import { record } from './kernel.js';
import { traceOp } from '../tensor/trace.js';
import { sumTo } from './reduce-axis.js';
import { unaryKernel, binaryKernel } from './vector-width.js';

/**
 * Elementwise ops: the WGSL expression and the backward rule side by side.
 * Unary: x, alpha. Binary: a, b, alpha. Backward rules are written with ops from this file.
 */
const UNARY = {
  relu: { expr: 'max(x, 0.0)', grad: (x: Tensor, _y: Tensor, g: Tensor) => binaryOp('reluGrad', g, x) },
  exp: { expr: 'exp(x)', grad: (_x: Tensor, y: Tensor, g: Tensor) => mul(g, y) },
  log: { expr: 'log(x)', grad: (x: Tensor, _y: Tensor, g: Tensor) => div(g, x) },
  scale: { expr: 'x * alpha', grad: (_x: Tensor, _y: Tensor, g: Tensor, alpha: number) => scale(g, alpha) },
  addScalar: { expr: 'x + alpha', grad: (_x: Tensor, _y: Tensor, g: Tensor) => g },
  square: { expr: 'x * x', grad: (x: Tensor, _y: Tensor, g: Tensor) => mul(g, scale(x, 2)) },
  // Clip to [0, 1] (noisy images). The gradient passes where 0 ≤ x ≤ 1, bounds included, as
  // PyTorch's clamp and TensorFlow's clip_by_value do: most MNIST pixels are exactly 0, and a
  // strict interior would hide their gradient from every attack.
  clamp01: { expr: 'clamp(x, 0.0, 1.0)', grad: (x: Tensor, _y: Tensor, g: Tensor) => binaryOp('insideUnitGrad', g, x) },
  // Clip to [-alpha, alpha]: projection after an optimiser step, so no gradient.
  clampAbs: { expr: 'clamp(x, -alpha, alpha)', grad: null },
  abs: { expr: 'abs(x)', grad: (x: Tensor, _y: Tensor, g: Tensor) => mul(g, unaryOp('sign', x)) },
  sign: { expr: 'sign(x)', grad: null },
  // Forward-only helpers (no gradient is taken through them).
  greaterThan: { expr: 'select(0.0, 1.0, x > alpha)', grad: null },
} as const;

const BINARY = {
  add: { expr: 'a + b', grad: [(g: Tensor) => g, (g: Tensor) => g] },
  sub: { expr: 'a - b', grad: [(g: Tensor) => g, (g: Tensor) => scale(g, -1)] },
  mul: { expr: 'a * b', grad: [(g: Tensor, _a: Tensor, b: Tensor) => mul(g, b), (g: Tensor, a: Tensor) => mul(g, a)] },
  div: {
    expr: 'a / b',
    grad: [
      (g: Tensor, _a: Tensor, b: Tensor) => div(g, b),
      (g: Tensor, a: Tensor, b: Tensor) => scale(div(mul(g, a), mul(b, b)), -1),
    ],
  },
  // d relu(x) = g where x > 0: a = upstream gradient, b = relu input.
  reluGrad: { expr: 'select(0.0, a, b > 0.0)', grad: null },
  equal: { expr: 'select(0.0, 1.0, a == b)', grad: null },
  // g where 0 ≤ x ≤ 1 (bounds included): a = upstream gradient, b = the clamp's input.
  insideUnitGrad: { expr: 'select(0.0, a, b >= 0.0 && b <= 1.0)', grad: null },
} as const;

export type UnaryName = keyof typeof UNARY;
export type BinaryName = keyof typeof BINARY;

export { unaryKernel, binaryKernel } from './vector-width.js';

export function unaryOp(name: UnaryName, x: Tensor, alpha = 0): Tensor {
  const spec = UNARY[name];
  const be = x.backend;
  const out = Tensor.empty(be, x.shape, name);
  // One source for both widths: the vec4 twin applies f to each lane.
  const W = unaryKernel(be, x.size) === 'vec4' ? 4 : 1;
  const tail =
    W === 4
      ? 'alias V = vec4f;\nconst W = 4u;\nfn fV(v: V, a: f32) -> V { return V(f(v.x, a), f(v.y, a), f(v.z, a), f(v.w, a)); }\n'
      : 'alias V = f32;\nconst W = 1u;\nfn fV(v: V, a: f32) -> V { return f(v, a); }\n';
  const pipeline = be.pipeline(`unary:${name}:${W}`, () => `${unaryWgsl.replace('EXPR', spec.expr)}\n${tail}`);
  be.runner.dispatch(pipeline, [x.buffer, out.buffer], { size: x.size, alpha }, workgroups1d(x.size / W));
  traceOp(out, [x], name, { alpha });
  const grad = spec.grad;
  if (!grad) return out;
  return record(out, [x], (g) => accumulateGrad(x, grad(x, out, g, alpha)));
}

export function binaryOp(name: BinaryName, a: Tensor, b: Tensor, alpha = 0): Tensor {
  const spec = BINARY[name];
  const shape = broadcastShapes(name, a.shape, b.shape);
  if (shape.length > 4) throw new ShapeError(`${name}: rank ${shape.length} > 4 is not supported`);
  const be = backendOf(name, a, b);
  const out = Tensor.empty(be, shape, name);
  const broadcast = !(sameShape(a.shape, shape) && sameShape(b.shape, shape));
  const uniforms = {
    size: out.size,
    alpha,
    outShape: pad4(shape, 1),
    aStrides: broadcastStrides(a.shape, shape),
    bStrides: broadcastStrides(b.shape, shape),
  };
  // One source, two widths: four outputs per invocation where the innermost dimension allows.
  const vec = binaryKernel(be, shape, a.shape, b.shape) === 'vec4';
  const along = (s: Shape) => vec && (s[s.length - 1] ?? 1) === shape[shape.length - 1]; // read as vec4, else one scalar
  const [aVec, bVec] = [along(a.shape), along(b.shape)];
  const source = () => `${binaryWgsl.replace('EXPR', spec.expr)}
const OW = ${vec ? 4 : 1}u;
alias OT = ${vec ? 'vec4f' : 'f32'};
alias AT = ${aVec ? 'vec4f' : 'f32'};
alias BT = ${bVec ? 'vec4f' : 'f32'};
const A_STEP = ${aVec ? 4 : 1}u;
const B_STEP = ${bVec ? 4 : 1}u;
fn fV(x: OT, y: OT, alpha: f32) -> OT { return ${
    vec ? 'OT(f(x.x, y.x, alpha), f(x.y, y.y, alpha), f(x.z, y.z, alpha), f(x.w, y.w, alpha))' : 'f(x, y, alpha)'
  }; }
`;
  be.runner.dispatch(
    be.pipeline(`binary:${name}:${vec ? 4 : 1}${aVec ? 4 : 1}${bVec ? 4 : 1}`, source, { BROADCAST: broadcast }),
    [a.buffer, b.buffer, out.buffer],
    uniforms,
    workgroups1d(out.size / (vec ? 4 : 1)),
  );
  traceOp(out, [a, b], name, { alpha });
  const grad = spec.grad;
  if (!grad) return out;
  return record(out, [a, b], (g) => {
    if (a.requiresGrad) accumulateGrad(a, sumTo(grad[0](g, a, b), a.shape));
    if (b.requiresGrad) accumulateGrad(b, sumTo(grad[1](g, a, b), b.shape));
  });
}

/** Strides of `shape` read as `outShape` (rank 4, left-padded), 0 where it broadcasts. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const out = outShape.map((_, i) => {
    const j = i - (outShape.length - shape.length);
    return j < 0 || shape[j] === 1 ? 0 : strides[j];
  });
  return pad4(out, 0);
}
const pad4 = (v: readonly number[], fill: number): number[] => [...new Array(4 - v.length).fill(fill), ...v];

/** A binary op's operand: a tensor, or a number (a scalar, as in PyTorch's `x * 2`). */
export type Operand = Tensor | number;

function tensorOperand(name: string, a: Operand, b: Operand): void {
  if (!(a instanceof Tensor) && !(b instanceof Tensor))
    throw new ShapeError(`${name}: needs at least one tensor operand, got ${typeof a} and ${typeof b}`);
  for (const v of [a, b])
    if (!(v instanceof Tensor) && typeof v !== 'number')
      throw new ShapeError(`${name}: operands are tensors or numbers, got ${v === null ? 'null' : typeof v}`);
}

export const add = (a: Operand, b: Operand): Tensor => {
  tensorOperand('add', a, b);
  if (typeof b === 'number') return unaryOp('addScalar', a as Tensor, b);
  return typeof a === 'number' ? unaryOp('addScalar', b, a) : binaryOp('add', a, b);
};
export const sub = (a: Operand, b: Operand): Tensor => {
  tensorOperand('sub', a, b);
  if (typeof b === 'number') return unaryOp('addScalar', a as Tensor, -b);
  return typeof a === 'number' ? unaryOp('addScalar', unaryOp('scale', b, -1), a) : binaryOp('sub', a, b);
};
export const mul = (a: Operand, b: Operand): Tensor => {
  tensorOperand('mul', a, b);
  if (typeof b === 'number') return unaryOp('scale', a as Tensor, b);
  return typeof a === 'number' ? unaryOp('scale', b, a) : binaryOp('mul', a, b);
};
export const div = (a: Operand, b: Operand): Tensor => {
  tensorOperand('div', a, b);
  if (typeof b === 'number') return unaryOp('scale', a as Tensor, 1 / b);
  if (typeof a === 'number')
    throw new ShapeError('div: a number divided by a tensor is not supported; use reciprocal ops');
  return binaryOp('div', a, b);
};
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const scale = (x: Tensor, alpha: number): Tensor => unaryOp('scale', x, alpha);
export const addScalar = (x: Tensor, alpha: number): Tensor => unaryOp('addScalar', x, alpha);
export const clamp01 = (x: Tensor): Tensor => unaryOp('clamp01', x);
export const clampAbs = (x: Tensor, limit: number): Tensor => unaryOp('clampAbs', x, limit);
export const sign = (x: Tensor): Tensor => unaryOp('sign', x);
