import { validateMatmul } from './validate';
import { Tensor, tidy } from '../src/tensor/tensor';
import { matmul, matmulKernel } from '../src/ops/matmul';
import { timeOp, python, printTable } from './common';
import { tfjsMatmul } from './tfjs';
import { defaultBackend as backend } from '../src/gpu/default-backend';

/**
 * [M, K, N, transA, transB, what]: the FC net's forward and backward products, a sparse net's
 * feature-major dense layer at batch 250 (B [K, 250]: read as vec2 pairs), and 1024³.
 */
export const MATMUL_SHAPES: [number, number, number, boolean, boolean, string][] = [
  [250, 784, 1500, false, true, 'fc1 forward x·W1ᵀ'],
  [250, 1500, 1000, false, true, 'fc2 forward'],
  [250, 1000, 800, false, true, 'fc3 forward'],
  [250, 1500, 784, false, false, 'fc1 backward dx = g·W1'],
  [1500, 250, 784, true, false, 'fc1 backward dW = gᵀ·x'],
  [1000, 250, 1500, true, false, 'fc2 backward dW'],
  [1500, 784, 250, false, false, 'feature-major W1·h, batch 250'],
  [1024, 1024, 1024, false, false, '1024³'],
];

export async function benchMatmul() {
  const rows = [];
  const np = python<{ numpy: string; blas: string; results: { gflops: number }[] }>('bench/numpy_matmul.py', [
    JSON.stringify(MATMUL_SHAPES.map((s) => s.slice(0, 5))),
  ]);
  const peer = await tfjsMatmul(MATMUL_SHAPES);
  for (const [i, [M, K, N, transA, transB, what]] of MATMUL_SHAPES.entries()) {
    const a = Tensor.fromArray(randomData(M * K, 1), transA ? [K, M] : [M, K]);
    const b = Tensor.fromArray(randomData(K * N, 2), transB ? [N, K] : [K, N]);
    const kernel = matmulKernel(backend(), M, K, N, transA, transB);
    const gflopsOf = (ms: number) => (2 * M * N * K) / ms / 1e6;
    const timeKernel = async (label: string) => {
      await validateMatmul(matmul, a, b, transA, transB, `${what}${label}`);
      const t = await timeOp(() =>
        tidy(() => {
          matmul(a, b, { transA, transB });
        }),
      );
      return { t, gflops: gflopsOf(t.gpuMs ?? t.wallMs) };
    };
    const { t, gflops } = await timeKernel('');
    // The other kernels, timed in the same run for the record: the subgroup kernel with
    // scalar loads (where vec4 loads ran) and the kernel for adapters without subgroups.
    let scalarLoadsGflops: number | null = null;
    if (kernel.startsWith('subgroup-vec4')) {
      backend().kernels.pin({ 'matmul.loads': 'scalar' });
      scalarLoadsGflops = (await timeKernel(' (scalar loads)')).gflops;
      backend().kernels.pin({ 'matmul.loads': null });
    }
    let plainGflops: number | null = null;
    if (kernel !== 'plain') {
      backend().kernels.pin({ path: 'plain' });
      plainGflops = (await timeKernel(' (plain kernel)')).gflops;
      backend().kernels.pin({ path: null });
    }
    const npG = np.value?.results[i].gflops ?? null;
    const tfG = peer.results?.[i] ?? null;
    rows.push({
      what,
      M,
      K,
      N,
      transA,
      transB,
      kernel,
      wallMs: t.wallMs,
      gpuMs: t.gpuMs,
      gflops,
      scalarLoadsGflops,
      plainGflops,
      numpyGflops: npG,
      ratioToNumpy: npG ? gflops / npG : null,
      tfjsGflops: tfG,
      ratioToTfjs: tfG ? gflops / tfG : null,
    });
    a.dispose();
    b.dispose();
  }
  printTable(
    'matmul (float32; GFLOP/s from GPU timestamps where available)',
    [
      'shape',
      'M',
      'K',
      'N',
      'kernel',
      'ms',
      'GFLOP/s',
      'scalar loads',
      'plain kernel',
      'numpy',
      'ours/numpy',
      'tfjs-webgpu',
      'ours/tfjs',
    ],
    rows.map((r) => [
      r.what,
      r.M,
      r.K,
      r.N,
      r.kernel,
      r.gpuMs ?? r.wallMs,
      r.gflops,
      r.scalarLoadsGflops ?? '-',
      r.plainGflops ?? '-',
      r.numpyGflops ?? '-',
      r.ratioToNumpy ?? '-',
      r.tfjsGflops ?? '-',
      r.ratioToTfjs ?? '-',
    ]),
  );
  return { rows, numpy: np.value ? { version: np.value.numpy, blas: np.value.blas } : np.note, tfjs: peer.note };
}

export function randomData(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}
