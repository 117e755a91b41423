import csrMatmulWgsl from '../../shaders/csr_matmul.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import type { CsrGpu, SparseMatrix } from '../sparse/csr';
import { record } from './kernel';

/**
 * Columns of x per thread. Measured on lavapipe (FC 1500×784, 256 columns, useful GFLOP/s at
 * 0–99% pruned): 8 → 1.6–2.7, 16 → 2.6–3.4; vec4 loads of x with 16 columns 3.2–3.6, not kept
 * (it needs the batch padded to a multiple of 4 for ≤ 25%).
 */
const NB = 16;

function csrTimesDense(a: CsrGpu, x: Tensor, op: string): Tensor {
  const N = x.shape[1];
  const out = Tensor.empty([a.host.rows, N], op);
  const tilesN = Math.ceil(N / NB);
  const total = a.host.rows * tilesN;
  if (total === 0) return out;
  runner.dispatch(getPipeline('csr_matmul', `${csrMatmulWgsl}\nconst NB = ${NB}u;\n`), [a.rowPtr, a.colIdx, a.values.buffer, x.buffer, out.buffer], [a.host.rows, N, tilesN, total], workgroups1d(total, 64));
  return out;
}

/**
 * A·x for a sparse A [R, C] (CSR) and dense x [C, N] (one column per example) → [R, N].
 * The gradient flows to x only (Aᵀ·g, through A's transpose); A is fixed (a pruned layer).
 */
export function spmm(a: SparseMatrix, x: Tensor): Tensor {
  if (x.shape.length !== 2 || x.shape[0] !== a.cols) throw new ShapeError(`spmm: sparse ${a.shape} times x ${fmtShape(x.shape)}: x must be [${a.cols}, N]`);
  const y = csrTimesDense(a.a, x, 'spmm');
  return record(y, [x], (g) => accumulateGrad(x, csrTimesDense(a.transposed, g, 'spmmInputGrad')));
}
