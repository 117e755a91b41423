import matmulWgsl from '../../shaders/matmul.wgsl';
import matmulSubgroupWgsl from '../../shaders/matmul_subgroup.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { kernelPath, subgroupWorkgroupSize } from '../gpu/kernel-path';
import { runner, f32 } from '../gpu/runner';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { record } from './kernel';

export interface MatmulOptions { transA?: boolean; transB?: boolean }

/** Encodes C = op(A)·op(B) into `out` with the chosen kernel. */
function dispatchMatmul(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, M: number, K: number, N: number, transA: boolean, transB: boolean): void {
  const uniforms = [M, N, K, f32(1), f32(0)];
  if (kernelPath() === 'subgroup') {
    // 2–2.5x the plain kernel on lavapipe (docs/matmul-lavapipe.md); a workgroup of WG lanes
    // covers 16 rows × 4·WG columns.
    const WG = subgroupWorkgroupSize();
    const pipeline = getPipeline('matmul_subgroup', matmulSubgroupWgsl, { TRANS_A: transA, TRANS_B: transB, WG });
    runner.dispatch(pipeline, [a, b, out], uniforms, [Math.ceil(M / 16), Math.ceil(N / (4 * WG))]);
  } else {
    // 8×8 invocations with 8×4 outputs each: 64 rows × 32 columns per workgroup.
    const pipeline = getPipeline('matmul', matmulWgsl, { TRANS_A: transA, TRANS_B: transB });
    runner.dispatch(pipeline, [a, b, out], uniforms, [Math.ceil(M / 64), Math.ceil(N / 32)]);
  }
}

/** C = op(A)·op(B) with op = transpose when asked; A, B 2-D. */
export function matmul(a: Tensor, b: Tensor, { transA = false, transB = false }: MatmulOptions = {}): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`matmul: operands must be 2-D, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  const [M, Ka] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (Ka !== Kb) throw new ShapeError(`matmul: inner dims differ, a ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} vs b ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} vs ${Kb})`);
  const out = Tensor.empty([M, N], 'matmul');
  dispatchMatmul(a.buffer, b.buffer, out.buffer, M, Ka, N, transA, transB);
  return record(out, [a, b], (g) => {
    // Each gradient is one more matmul with transpose flags; no transposed copies.
    if (a.requiresGrad) accumulateGrad(a, transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB }));
    if (b.requiresGrad) accumulateGrad(b, transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA }));
  });
}
