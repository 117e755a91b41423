import matmulWgsl from '../../shaders/matmul.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner, f32 } from '../gpu/runner';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { record } from './kernel';

export interface MatmulOptions { transA?: boolean; transB?: boolean }

const TILE_M = 64; // WY·TM in matmul.wgsl
const TILE_N = 32; // WX·TN

/** C = op(A)·op(B) with op = transpose when asked; A, B 2-D. */
export function matmul(a: Tensor, b: Tensor, { transA = false, transB = false }: MatmulOptions = {}): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`matmul: operands must be 2-D, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  const [M, Ka] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (Ka !== Kb) throw new ShapeError(`matmul: inner dims differ, a ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} vs b ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} vs ${Kb})`);
  const out = Tensor.empty([M, N], 'matmul');
  const pipeline = getPipeline('matmul', matmulWgsl, { TRANS_A: transA, TRANS_B: transB });
  runner.dispatch(pipeline, [a.buffer, b.buffer, out.buffer], [M, N, Ka, f32(1), f32(0)], [Math.ceil(N / TILE_N), Math.ceil(M / TILE_M)]);
  return record(out, [a, b], (g) => {
    // Each gradient is one more matmul with transpose flags; no transposed copies.
    if (a.requiresGrad) accumulateGrad(a, transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB }));
    if (b.requiresGrad) accumulateGrad(b, transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA }));
  });
}
