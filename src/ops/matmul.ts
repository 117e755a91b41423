import matmulWgsl from '../../shaders/matmul.wgsl';
import matmulSubgroupWgsl from '../../shaders/matmul_subgroup.wgsl';
import matmulSubgroupVec4Wgsl from '../../shaders/matmul_subgroup_vec4.wgsl';
import bVec4Wgsl from '../../shaders/matmul_b_vec4.wgsl';
import bVec2Wgsl from '../../shaders/matmul_b_vec2.wgsl';
import matmulTiledWgsl from '../../shaders/matmul_tiled.wgsl';
import tiledAWgsl from '../../shaders/matmul_tiled_a.wgsl';
import tiledAVec4Wgsl from '../../shaders/matmul_tiled_a_vec4.wgsl';
import tiledBWgsl from '../../shaders/matmul_tiled_b.wgsl';
import tiledBVec4Wgsl from '../../shaders/matmul_tiled_b_vec4.wgsl';
import sumSplitsWgsl from '../../shaders/sum_splits.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { traceOp } from '../tensor/trace.js';
import type { Tuner } from '../gpu/tuner.js';
import { recordShape, tuneFamily, type TunedBucket } from '../gpu/tuning.js';
import { kernelPath, subgroupWorkgroupSize } from '../gpu/kernel-path.js';
import { kernelKnob } from '../gpu/choices.js';
import { DeviceError, ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad, backendOf } from '../tensor/tensor.js';
import { record } from './kernel.js';
import type { Backend } from '../gpu/backend.js';
import { deepFreeze } from '../util/freeze.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * 'plain' and 'subgroup*': register-blocked kernels tuned on lavapipe (docs/matmul-lavapipe.md).
 * 'tiled': the workgroup-memory tiled GEMM of GPUs; 'tiled-kS' splits K into S stretches.
 */
export type MatmulKernel = 'plain' | 'subgroup' | 'subgroup-vec4' | 'subgroup-vec4-b2' | 'tiled' | `tiled-k${number}`;

/** Split-K factors the tuner tries for long K. */
export const SPLITS = deepFreeze([2, 4, 8, 16]);

/** The kernel every product runs on where it can (`pin({ matmul: 'tiled' })`, train --kernels). */
export const MATMUL_KERNEL = kernelKnob<MatmulKernel>(
  'matmul',
  ['plain', 'subgroup', 'tiled', ...SPLITS.map((s) => `tiled-k${s}` as const)],
  // The tiled kernel takes any split of K into n ≥ 2 stretches.
  (v) => ['plain', 'subgroup', 'tiled'].includes(v) || (/^tiled-k\d+$/.test(v) && Number(v.slice(7)) >= 2),
);
/** The subgroup matmul on its scalar-load kernel only (benchmarks compare the loads). */
export const MATMUL_LOADS = kernelKnob('matmul.loads', ['vector', 'scalar'] as const);

const splitsOf = (k: MatmulKernel): number => (k.startsWith('tiled-k') ? Number(k.slice(7)) : 1);

/**
 * The shape bucket products share a tuned choice in: transposes, each dimension rounded up to
 * a power of two, and the alignments that decide which vector kernels can run.
 */
export function matmulBucket(M: number, K: number, N: number, transA: boolean, transB: boolean): string {
  const p2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(x, 1)));
  const align = (x: number) => (x % 4 === 0 ? 4 : x % 2 === 0 ? 2 : 1);
  return `matmul:${transA ? 't' : 'n'}${transB ? 't' : 'n'}:${p2(M)}x${p2(K)}x${p2(N)}:${align(M)}${align(K)}${align(N)}`;
}

/** The kernels that can run this product on this adapter (the tuner's candidates). */
export function matmulCandidates(
  be: Backend,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): MatmulKernel[] {
  const out: MatmulKernel[] = ['plain'];
  if (kernelPath(be) === 'subgroup') {
    out.push('subgroup');
    const v = ruleKernel(be, M, K, N, transA, transB);
    if (v !== 'subgroup') out.push(v);
  }
  out.push('tiled');
  for (const s of SPLITS) if (K >= 256 * s) out.push(`tiled-k${s}`);
  return out;
}

/** Today's rule: subgroup kernels where the adapter has them (vector loads where whole), else plain. */
function ruleKernel(be: Backend, M: number, K: number, N: number, transA: boolean, transB: boolean): MatmulKernel {
  if (kernelPath(be) === 'plain') return 'plain';
  if (be.kernels.pinnedVariant(MATMUL_LOADS) === 'scalar' || !(transA ? M % 4 === 0 : K % 4 === 0)) return 'subgroup';
  if (transB) return K % 4 === 0 ? 'subgroup-vec4' : 'subgroup';
  return N % 4 === 0 ? 'subgroup-vec4' : N % 2 === 0 ? 'subgroup-vec4-b2' : 'subgroup';
}

/**
 * The kernel a product of these dimensions runs on. The vec4 kernel needs every vector it
 * loads to be whole: K % 4 for a vector along k (A not transposed, B transposed), M % 4 or
 * N % 4 for one along m (A transposed) or n (B not transposed). Where B [K,N] has an even N
 * that is not a multiple of 4 (feature-major activations at batch 250), it reads B as vec2
 * pairs ('subgroup-vec4-b2').
 */
export function matmulKernel(
  be: Backend,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): MatmulKernel {
  // Pinned (tests, benchmarks, train --kernels), else the tuner's winner for the bucket, else the rules.
  const forced = be.kernels.pinnedVariant(MATMUL_KERNEL);
  const { tuner } = be.kernels;
  if (forced) {
    if (forced === 'plain' || forced.startsWith('tiled')) return forced;
    // The subgroup family: its vector-load kernels where the vectors are whole.
    if (kernelPath(be) !== 'subgroup')
      throw new DeviceError(`matmul kernel ${forced} needs subgroups of >= 8 lanes; this adapter has not`);
    return ruleKernel(be, M, K, N, transA, transB);
  }
  const tuned = tuner?.lookup(matmulBucket(M, K, N, transA, transB)) as MatmulKernel | undefined;
  if (tuned && matmulCandidates(be, M, K, N, transA, transB).includes(tuned)) return tuned;
  return ruleKernel(be, M, K, N, transA, transB);
}

/** Encodes C = op(A)·op(B) into `out` with the chosen kernel. */
function dispatchMatmul(
  be: Backend,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): void {
  recordShape(be, ['matmul', M, K, N, transA, transB]);
  const kernel = matmulKernel(be, M, K, N, transA, transB);
  encodeMatmul(be, kernel, a, b, out, M, K, N, transA, transB);
}

function encodeMatmul(
  be: Backend,
  kernel: MatmulKernel,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): void {
  if (kernel.startsWith('tiled')) {
    encodeTiled(be, splitsOf(kernel), a, b, out, M, K, N, transA, transB);
    return;
  }
  if (kernel === 'plain') {
    // 8×8 invocations with 8×4 outputs each: 64 rows × 32 columns per workgroup.
    const pipeline = be.pipeline('matmul', matmulWgsl, { TRANS_A: transA, TRANS_B: transB });
    dispatchRowBlocks(be, 64, M, N, K, (first, count) =>
      be.runner.dispatch(pipeline, [a, b, out], { M, N, K, alpha: 1, beta: 0, rowBlock0: first }, [
        count,
        Math.ceil(N / 32),
      ]),
    );
    return;
  }
  // 2–3x the plain kernel on lavapipe (docs/matmul-lavapipe.md); a workgroup of WG lanes
  // covers 16 rows × 4·WG columns with either kernel.
  const WG = subgroupWorkgroupSize(be);
  const pipeline =
    kernel === 'subgroup'
      ? be.pipeline('matmul_subgroup', matmulSubgroupWgsl, { TRANS_A: transA, TRANS_B: transB, WG })
      : kernel === 'subgroup-vec4'
        ? be.pipeline('matmul_subgroup_vec4', () => `${matmulSubgroupVec4Wgsl}\n${bVec4Wgsl}`, {
            TRANS_A: transA,
            TRANS_B: transB,
            WG,
          })
        : be.pipeline('matmul_subgroup_vec4:b2', () => `${matmulSubgroupVec4Wgsl}\n${bVec2Wgsl}`, {
            TRANS_A: transA,
            TRANS_B: transB,
            WG,
          });
  dispatchRowBlocks(be, 16, M, N, K, (first, count) =>
    be.runner.dispatch(pipeline, [a, b, out], { M, N, K, alpha: 1, beta: 0, rowBlock0: first }, [
      count,
      Math.ceil(N / (4 * WG)),
    ]),
  );
}

/**
 * Dispatches `blocks` of `rowsPerBlock` rows in runs that each stay within the backend's
 * dispatchBudget: a longer product is split by blocks of rows into several dispatches (the same
 * bits: each output is computed by the same code), so that no single dispatch runs long enough
 * to trip a display driver's watchdog (~2 s on Windows).
 */
function dispatchRowBlocks(
  be: Backend,
  rowsPerBlock: number,
  M: number,
  N: number,
  K: number,
  dispatch: (first: number, count: number) => void,
): void {
  const blocks = Math.ceil(M / rowsPerBlock);
  const perDispatch = Math.max(1, Math.floor(be.dispatchBudget.flop / (2 * rowsPerBlock * N * Math.max(K, 1))));
  for (let first = 0; first < blocks; first += perDispatch) dispatch(first, Math.min(perDispatch, blocks - first));
}

/** The tiled GEMM; with splits > 1, partial products per stretch of K, then their sum. */
/** Which operands the tiled GEMM stages as vec4s: those whose contiguous dimension is a multiple of 4. */
export function tiledStaging(M: number, K: number, N: number, transA: boolean, transB: boolean) {
  return { aVec4: (transA ? M : K) % 4 === 0, bVec4: (transB ? K : N) % 4 === 0 };
}

function encodeTiled(
  be: Backend,
  splits: number,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): void {
  // Staging loads vec4s from an operand whose contiguous dimension is a multiple of 4.
  const { aVec4, bVec4 } = tiledStaging(M, K, N, transA, transB);
  const pipeline = be.pipeline(
    `matmul_tiled:${aVec4 ? 'a4' : 'a1'}${bVec4 ? 'b4' : 'b1'}`,
    () => `${matmulTiledWgsl}\n${aVec4 ? tiledAVec4Wgsl : tiledAWgsl}\n${bVec4 ? tiledBVec4Wgsl : tiledBWgsl}`,
    { TRANS_A: transA, TRANS_B: transB },
  );
  const s = Math.max(1, Math.min(splits, Math.ceil(K / 16)));
  const kPerSplit = Math.ceil(K / s / 16) * 16;
  const used = Math.ceil(K / kPerSplit); // every split has some k
  const run = (target: GPUBuffer) =>
    dispatchRowBlocks(be, 64, M, N, K, (first, count) =>
      be.runner.dispatch(pipeline, [a, b, target], { M, N, K, alpha: 1, kPerSplit, rowBlock0: first }, [
        count,
        Math.ceil(N / 64),
        used,
      ]),
    );
  if (used === 1) {
    run(out);
    return;
  }
  const partial = be.pool.acquire(used * M * N * 4);
  run(partial);
  be.runner.dispatch(
    be.pipeline('sum_splits', sumSplitsWgsl),
    [partial, out],
    { count: M * N, splits: used },
    workgroups1d(M * N),
  );
  be.pool.release(partial); // later work may reuse it: it runs after this sum, in order
}

/**
 * Measures every candidate kernel of each product recorded in `shapes` (JSON [M,K,N,transA,
 * transB], as recordShape wrote them) whose bucket the tuner has not seen, on operands of
 * that size filled on the GPU. Products whose operands would pass `maxBytes` keep the rule.
 */
export function tuneMatmuls(
  be: Backend,
  tuner: Tuner,
  shapes: Iterable<string>,
  maxBytes = 256 * 2 ** 20,
): Promise<TunedBucket[]> {
  return tuneFamily(
    be,
    tuner,
    shapes,
    'matmul',
    (args) => {
      const [M, K, N, transA, transB] = args as [number, number, number, boolean, boolean];
      return {
        bucket: matmulBucket(M, K, N, transA, transB),
        rule: ruleKernel(be, M, K, N, transA, transB),
        // A, B, C, and room for the widest split-K's partial products.
        sizes: [M * K, K * N, M * N * (1 + SPLITS[SPLITS.length - 1])],
        filled: 2,
        candidates: ([a, b, c]) =>
          matmulCandidates(be, M, K, N, transA, transB).map((variant) => ({
            variant,
            encode: () => encodeMatmul(be, variant, a, b, c, M, K, N, transA, transB),
          })),
      };
    },
    maxBytes,
  );
}

/** C = op(A)·op(B) with op = transpose when asked; A, B 2-D. */
export function matmul(a: Tensor, b: Tensor, { transA = false, transB = false }: MatmulOptions = {}): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2)
    throw new ShapeError(`matmul: operands must be 2-D, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  const [M, Ka] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (Ka !== Kb)
    throw new ShapeError(
      `matmul: inner dims differ, a ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} vs b ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} vs ${Kb})`,
    );
  const be = backendOf('matmul', a, b);
  const out = Tensor.empty(be, [M, N], 'matmul');
  dispatchMatmul(be, a.buffer, b.buffer, out.buffer, M, Ka, N, transA, transB);
  traceOp(out, [a, b], 'matmul', { transA, transB });
  return record(out, [a, b], (g) => {
    // Each gradient is one more matmul with transpose flags; no transposed copies.
    if (a.requiresGrad)
      accumulateGrad(a, transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB }));
    if (b.requiresGrad)
      accumulateGrad(b, transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA }));
  });
}
