import csrMatmulWgsl from '../../shaders/csr_matmul.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { kernelChoices } from '../gpu/tuning';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import type { CsrGpu, SparseMatrix } from '../sparse/csr';
import { record } from './kernel';

/**
 * Columns of x per thread: 16, as NV vectors of the widest type that divides N. Measured on
 * lavapipe (FC 1500×784, 250–256 columns, useful GFLOP/s at 0–99% pruned): scalar loads with
 * 8 columns 1.6–2.7, with 16 columns 2.6–3.4; vec4 loads, 16 columns: 1.4–1.8x scalar at 70–99%
 * pruned; 8 or 32 columns of vec4 were slower (docs/sparse-lavapipe.md).
 */
const COLUMNS_PER_THREAD = 16;

/** The x vector type for N columns: vec4 where N % 4 == 0, vec2 where N is even, else f32. */
export function spmmVectorWidth(N: number): 1 | 2 | 4 {
  if (kernelChoices.pins.scalarSpmmX) return 1; // pinned: the benchmark times both
  return N % 4 === 0 ? 4 : N % 2 === 0 ? 2 : 1;
}

function csrTimesDense(a: CsrGpu, x: Tensor, op: string): Tensor {
  const N = x.shape[1];
  const out = Tensor.empty([a.host.rows, N], op);
  const W = spmmVectorWidth(N);
  const NV = COLUMNS_PER_THREAD / W;
  const tilesN = Math.ceil(N / W / NV);
  const total = a.host.rows * tilesN;
  if (total === 0) return out;
  const type = W === 1 ? 'f32' : `vec${W}f`;
  const pipeline = getPipeline(
    `csr_matmul:${type}:${NV}`,
    () => `${csrMatmulWgsl}
alias xv = ${type};
const W = ${W}u;
const NV = ${NV}u;
`,
  );
  runner.dispatch(
    pipeline,
    [a.rowPtr, a.colIdx, a.values.buffer, x.buffer, out.buffer],
    { R: a.host.rows, N, tilesN, total },
    workgroups1d(total, 64),
  );
  return out;
}

/**
 * A·x for a sparse A [R, C] (CSR) and dense x [C, N] (one column per example) → [R, N].
 * The gradient flows to x only (Aᵀ·g, through A's transpose); A is fixed (a pruned layer).
 */
export function spmm(a: SparseMatrix, x: Tensor): Tensor {
  if (x.shape.length !== 2 || x.shape[0] !== a.cols)
    throw new ShapeError(`spmm: sparse ${a.shape} times x ${fmtShape(x.shape)}: x must be [${a.cols}, N]`);
  const y = csrTimesDense(a.a, x, 'spmm');
  return record(y, [x], (g) => accumulateGrad(x, csrTimesDense(a.transposed, g, 'spmmInputGrad')));
}
