import matmulWgsl from '../../shaders/matmul.wgsl';
import matmulSubgroupWgsl from '../../shaders/matmul_subgroup.wgsl';
import matmulSubgroupVec4Wgsl from '../../shaders/matmul_subgroup_vec4.wgsl';
import bVec4Wgsl from '../../shaders/matmul_b_vec4.wgsl';
import bVec2Wgsl from '../../shaders/matmul_b_vec2.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { kernelPath, subgroupWorkgroupSize } from '../gpu/kernel-path';
import { runner, f32 } from '../gpu/runner';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { record } from './kernel';

export interface MatmulOptions { transA?: boolean; transB?: boolean }

export type MatmulKernel = 'plain' | 'subgroup' | 'subgroup-vec4' | 'subgroup-vec4-b2';

let scalarLoadsOnly = false;
/** Keeps the subgroup path on its scalar-load kernel (the benchmark times both). */
export function forceScalarLoads(on: boolean): void {
  scalarLoadsOnly = on;
}

/**
 * The kernel a product of these dimensions runs on. The vec4 kernel needs every vector it
 * loads to be whole: K % 4 for a vector along k (A not transposed, B transposed), M % 4 or
 * N % 4 for one along m (A transposed) or n (B not transposed). Where B [K,N] has an even N
 * that is not a multiple of 4 (feature-major activations at batch 250), it reads B as vec2
 * pairs ('subgroup-vec4-b2').
 */
export function matmulKernel(M: number, K: number, N: number, transA: boolean, transB: boolean): MatmulKernel {
  if (kernelPath() === 'plain') return 'plain';
  if (scalarLoadsOnly || !(transA ? M % 4 === 0 : K % 4 === 0)) return 'subgroup';
  if (transB) return K % 4 === 0 ? 'subgroup-vec4' : 'subgroup';
  return N % 4 === 0 ? 'subgroup-vec4' : N % 2 === 0 ? 'subgroup-vec4-b2' : 'subgroup';
}

/** Encodes C = op(A)·op(B) into `out` with the chosen kernel. */
function dispatchMatmul(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, M: number, K: number, N: number, transA: boolean, transB: boolean): void {
  const uniforms = [M, N, K, f32(1), f32(0)];
  const kernel = matmulKernel(M, K, N, transA, transB);
  if (kernel === 'plain') {
    // 8×8 invocations with 8×4 outputs each: 64 rows × 32 columns per workgroup.
    const pipeline = getPipeline('matmul', matmulWgsl, { TRANS_A: transA, TRANS_B: transB });
    runner.dispatch(pipeline, [a, b, out], uniforms, [Math.ceil(M / 64), Math.ceil(N / 32)]);
    return;
  }
  // 2–3x the plain kernel on lavapipe (docs/matmul-lavapipe.md); a workgroup of WG lanes
  // covers 16 rows × 4·WG columns with either kernel.
  const WG = subgroupWorkgroupSize();
  const pipeline = kernel === 'subgroup'
    ? getPipeline('matmul_subgroup', matmulSubgroupWgsl, { TRANS_A: transA, TRANS_B: transB, WG })
    : kernel === 'subgroup-vec4'
      ? getPipeline('matmul_subgroup_vec4', () => `${matmulSubgroupVec4Wgsl}\n${bVec4Wgsl}`, { TRANS_A: transA, TRANS_B: transB, WG })
      : getPipeline('matmul_subgroup_vec4:b2', () => `${matmulSubgroupVec4Wgsl}\n${bVec2Wgsl}`, { TRANS_A: transA, TRANS_B: transB, WG });
  runner.dispatch(pipeline, [a, b, out], uniforms, [Math.ceil(M / 16), Math.ceil(N / (4 * WG))]);
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
