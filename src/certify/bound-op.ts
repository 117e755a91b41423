import type { Tensor } from '../tensor/tensor.js';
import type { Backend } from '../gpu/backend.js';
import type { GraphNode } from '../nn/trace.js';

/**
 * What certification needs of one traced op, in one of three forms (auto_LiRPA's
 * `interval_propagate` / `bound_backward`, narrowed to what this project bounds):
 * - affine: y = Wx + b, applied, applied with |W| (an interval's radius) and transposed;
 * - unary: an elementwise, non-decreasing f with linear bounds on [l, u];
 * - sum: y = Σ c_i x_i of traced operands of one shape (a residual's add).
 */
export type BoundOp = AffineOp | UnaryOp | SumOp;

export interface AffineOp {
  kind: 'affine';
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
  /** Tensors the op made (|W|, the bias map), released with the graph. */
  owned: Tensor[];
  /** Linear maps: the rows of W and b of these outputs ([k, F_in], [k, 1]): e_jᵀW without a product. */
  rows?: (outputs: Tensor) => { W: Tensor; b: Tensor };
  /** The map in float64 for the CPU reference: a dense W (out × in, row-major) or a diagonal, and b. */
  dense(): Promise<DenseAffine>;
}

export interface DenseAffine {
  W?: Float64Array;
  diag?: Float64Array;
  b: Float64Array;
}

/** Linear bounds of f(z) for z in [l, u]: lowSlope·z + lowIntercept ≤ f(z) ≤ upSlope·z + upIntercept. */
export interface Relaxation {
  lowSlope: number;
  lowIntercept: number;
  upSlope: number;
  upIntercept: number;
}

export interface UnaryOp {
  kind: 'unary';
  /** f, non-decreasing (so an interval maps to [f(l), f(u)]). */
  f(z: number): number;
  relax(l: number, u: number): Relaxation;
}

export interface SumOp {
  kind: 'sum';
  coefficients: number[];
}

/** What a rule is given: the node, its traced operands' shapes, the backend. */
export interface RuleContext {
  node: GraphNode;
  inShapes: number[][];
  backend: Backend;
}

/**
 * A rule: the bound form of one op family (a primitive's name or a module's type). It throws
 * a ConfigError naming the node and the reason where it cannot bound a case (max-pooling, a
 * product of two traced tensors).
 */
export type BoundRule = (ctx: RuleContext) => BoundOp;
