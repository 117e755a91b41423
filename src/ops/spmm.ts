import csrMatmulWgsl from '../../shaders/csr_matmul.wgsl';
import csrStagedWgsl from '../../shaders/csr_matmul_staged.wgsl';
import { fillBuffer } from '../gpu/fill.js';
import type { Tuner } from '../gpu/tuner.js';
import type { TunedBucket } from '../gpu/tuning.js';
import { workgroups1d } from '../gpu/dispatch.js';
import { kernelKnob } from '../gpu/choices.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad, backendOf } from '../tensor/tensor.js';
import type { CsrGpu, SparseMatrix } from '../tensor/csr.js';
import { record } from './kernel.js';
import type { Backend } from '../gpu/backend.js';
import { deepFreeze } from '../util/freeze.js';

/**
 * Columns of x per thread: 16, as NV vectors of the widest type that divides N. Measured on
 * lavapipe (FC 1500×784, 250–256 columns, useful GFLOP/s at 0–99% pruned): scalar loads with
 * 8 columns 1.6–2.7, with 16 columns 2.6–3.4; vec4 loads, 16 columns: 1.4–1.8x scalar at 70–99%
 * pruned; 8 or 32 columns of vec4 were slower (docs/sparse-lavapipe.md).
 */
const COLUMNS_PER_THREAD = 16;

/** How spmm reads x: vectors where the columns allow, or pinned to one float at a time (the benchmark times both). */
export const SPMM_X = kernelKnob('spmm.x', ['vector', 'scalar'] as const);

/** The x vector type for N columns: vec4 where N % 4 == 0, vec2 where N is even, else f32. */
export function spmmVectorWidth(be: Backend, N: number): 1 | 2 | 4 {
  if (be.kernels.pinnedVariant(SPMM_X) === 'scalar') return 1; // pinned: the benchmark times both
  return N % 4 === 0 ? 4 : N % 2 === 0 ? 2 : 1;
}

/**
 * The two mappings of A·x. rows: a thread per (row, block of 16 columns), loads shared through
 * the cache (tuned on lavapipe, docs/sparse-lavapipe.md). staged: Sputnik's (Gale et al. 2020)
 * workgroup per row, longest rows first, nonzeros staged in workgroup memory, x read coalesced.
 */
export type SpmmKernel = 'rows' | 'staged';
export const SPMM_KERNELS: SpmmKernel[] = deepFreeze(['rows', 'staged']);
/** The CSR mapping (`pin({ spmm: 'staged' })`), else tuned, else rows. */
export const SPMM_KERNEL = kernelKnob<SpmmKernel>('spmm', SPMM_KERNELS);

/** Products share a tuned choice per bucket: each size rounded up to a power of two, density to a power of two. */
export function spmmBucket(R: number, C: number, N: number, nnz: number): string {
  const p2 = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(v, 1)));
  const density = nnz / Math.max(R * C, 1);
  return `spmm:${p2(R)}x${p2(C)}x${p2(N)}:d${density > 0 ? Math.round(Math.log2(density)) : '0'}`;
}

/** Pinned, else the tuner's winner for the bucket, else the rows mapping (the rule). */
export function spmmKernel(be: Backend, a: CsrGpu, N: number): SpmmKernel {
  const pinned = be.kernels.pinnedVariant(SPMM_KERNEL);
  if (pinned) return pinned;
  const tuned = be.kernels.tuner?.lookup(spmmBucket(a.host.rows, a.host.cols, N, a.nnz));
  return tuned === 'staged' || tuned === 'rows' ? tuned : 'rows';
}

/** Encodes out = A·x ([R, N]) with this mapping. */
function encodeSpmm(be: Backend, kernel: SpmmKernel, a: CsrGpu, x: GPUBuffer, out: GPUBuffer, N: number): void {
  const W = spmmVectorWidth(be, N);
  const type = W === 1 ? 'f32' : `vec${W}f`;
  const R = a.host.rows;
  if (kernel === 'staged') {
    // 64 lanes of 4 columns each: a tile of 256 columns per workgroup.
    const NV = 4 / W;
    const tilesN = Math.ceil(N / W / (64 * NV));
    const total = R * tilesN;
    if (total === 0) return;
    const pipeline = be.pipeline(
      `csr_matmul_staged:${type}:${NV}`,
      () => `${csrStagedWgsl}\nalias xv = ${type};\nconst W = ${W}u;\nconst NV = ${NV}u;\n`,
    );
    be.runner.dispatch(
      pipeline,
      [a.rowPtr, a.colIdx, a.values.buffer, a.order, x, out],
      { N, tilesN, total },
      workgroups1d(total, 1),
    );
    return;
  }
  const NV = COLUMNS_PER_THREAD / W;
  const tilesN = Math.ceil(N / W / NV);
  const total = R * tilesN;
  if (total === 0) return;
  const pipeline = be.pipeline(
    `csr_matmul:${type}:${NV}`,
    () => `${csrMatmulWgsl}
alias xv = ${type};
const W = ${W}u;
const NV = ${NV}u;
`,
  );
  be.runner.dispatch(
    pipeline,
    [a.rowPtr, a.colIdx, a.values.buffer, x, out],
    { R, N, tilesN, total },
    workgroups1d(total, 64),
  );
}

function csrTimesDense(a: CsrGpu, x: Tensor, op: string): Tensor {
  const N = x.shape[1];
  const be = backendOf(op, a.values, x);
  const out = Tensor.empty(be, [a.host.rows, N], op);
  encodeSpmm(be, spmmKernel(be, a, N), a, x.buffer, out.buffer, N);
  return out;
}

/**
 * Times both mappings of this matrix at N columns (x filled on the GPU) where the tuner has no
 * winner for its bucket yet; from then on spmm runs the winner for matrices of that bucket.
 */
export async function tuneSpmm(tuner: Tuner, a: CsrGpu, N: number): Promise<TunedBucket> {
  const bucket = spmmBucket(a.host.rows, a.host.cols, N, a.nnz);
  const be = a.values.backend;
  const x = be.pool.acquire(4 * Math.max(a.host.cols * N, 1));
  const out = be.pool.acquire(4 * Math.max(a.host.rows * N, 1));
  fillBuffer(be, x, a.host.cols * N, 0.5);
  const r = await tuner.choose(
    bucket,
    SPMM_KERNELS.map((variant) => ({ variant, encode: () => encodeSpmm(be, variant, a, x, out, N) })),
    'rows',
  );
  await be.runner.sync();
  be.pool.release(x);
  be.pool.release(out);
  return { bucket, winner: r.winner, source: r.source, ms: r.record?.ms };
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
