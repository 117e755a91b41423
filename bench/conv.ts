import { Tensor, tidy, backward } from '../src/tensor/tensor';
import { conv2d } from '../src/ops/conv2d';
import { sum } from '../src/ops/reduce';
import { mul } from '../src/ops/elementwise';
import { timeOp, python, printTable } from './common';
import { randomData } from './matmul';
import { kernelPath } from '../src/gpu/kernel-path';
import { defaultBackend as backend } from '../src/gpu/default-backend';

/** The study's four conv layers at batch 250: [N, C, H, W, O, K]. */
export const CONV_SHAPES: [number, number, number, number, number, number][] = [
  [250, 1, 28, 28, 12, 7],
  [250, 12, 28, 28, 15, 5],
  [250, 15, 28, 28, 25, 3],
  [250, 25, 28, 28, 20, 3],
];

type Direction = 'forward' | 'inputGrad' | 'weightGrad';

/** Spot-checks the forward kernel against a float64 direct convolution before timing it. */
async function validateConv(x: Tensor, w: Tensor, y: Float32Array): Promise<void> {
  const [xd, wd] = await Promise.all([x.read(), w.read()]);
  const [, C, H, W] = x.shape,
    [O, , K] = w.shape,
    P = (K - 1) / 2;
  for (let s = 0; s < 64; s++) {
    const idx = (s * 104729 + 17) % y.length;
    const ox = idx % W,
      oy = Math.floor(idx / W) % H,
      o = Math.floor(idx / (W * H)) % O,
      n = Math.floor(idx / (W * H * O));
    let want = 0;
    for (let c = 0; c < C; c++)
      for (let i = 0; i < K; i++)
        for (let j = 0; j < K; j++) {
          const yy = oy + i - P,
            xx = ox + j - P;
          if (yy >= 0 && yy < H && xx >= 0 && xx < W)
            want += wd[((o * C + c) * K + i) * K + j] * xd[((n * C + c) * H + yy) * W + xx];
        }
    if (!(Math.abs(y[idx] - want) <= 1e-4 * Math.sqrt(C * K * K) * (1 + Math.abs(want))))
      throw new Error(`bench validation failed for conv2d at ${idx}: got ${y[idx]}, want ${want}`);
  }
}

export async function benchConv() {
  const np = python<{ numpy: string; results: Record<Direction, { ms: number; gflops: number }>[] }>(
    'bench/numpy_conv.py',
    [JSON.stringify(CONV_SHAPES)],
  );
  const rows = [];
  for (const [s, [N, C, H, W, O, K]] of CONV_SHAPES.entries()) {
    const x = Tensor.fromArray(randomData(N * C * H * W, 1), [N, C, H, W], true);
    const w = Tensor.fromArray(
      randomData(O * C * K * K, 2).map((v) => v * 0.1),
      [O, C, K, K],
      true,
    );
    const gOut = Tensor.fromArray(randomData(N * O * H * W, 3), [N, O, H, W]);
    const flops = 2 * N * H * W * O * C * K * K;
    const kernel = kernelPath(backend());
    const dirs = await timeDirections(x, w, gOut);
    // The kernels for adapters without subgroups, timed in the same run for the record.
    let plain: [Direction, number][] | null = null;
    if (kernel !== 'plain') {
      backend().kernels.pin({ path: 'plain' });
      plain = await timeDirections(x, w, gOut);
      backend().kernels.pin({ path: null });
    }
    for (const [d, [dir, ms]] of dirs.entries()) {
      const gflops = flops / ms / 1e6;
      const plainMs = plain ? plain[d][1] : null;
      const npG = np.value?.results[s][dir].gflops ?? null;
      rows.push({
        layer: `conv${s + 1} ${C}→${O} ${K}x${K}`,
        N,
        C,
        H,
        W,
        O,
        K,
        direction: dir,
        kernel,
        ms,
        gflops,
        plainMs,
        numpyMs: np.value?.results[s][dir].ms ?? null,
        numpyGflops: npG,
        ratioToNumpy: npG ? gflops / npG : null,
      });
    }
    [x, w, gOut].forEach((t) => t.dispose());
  }
  printTable(
    'conv2d at batch 250, 28×28, same padding (GFLOP/s from GPU timestamps where available; numpy: im2col + matmul)',
    ['layer', 'direction', 'kernel', 'ms', 'GFLOP/s', 'plain ms', 'numpy ms', 'numpy GFLOP/s', 'ours/numpy'],
    rows.map((r) => [
      r.layer,
      r.direction,
      r.kernel,
      r.ms,
      r.gflops,
      r.plainMs ?? '-',
      r.numpyMs ?? '-',
      r.numpyGflops ?? '-',
      r.ratioToNumpy ?? '-',
    ]),
  );
  return { rows, numpy: np.value ? { version: np.value.numpy } : np.note };
}

/** ms of the forward, the input gradient and the weight gradient, each alone, with the current kernels. */
async function timeDirections(x: Tensor, w: Tensor, gOut: Tensor): Promise<[Direction, number][]> {
  await validateConv(x, w, await tidy(() => conv2d(x, w).keep()).read());
  // Each direction alone: forward; forward + one gradient (the forward's time subtracted).
  const fwd = await timeOp(() =>
    tidy(() => {
      conv2d(x, w);
    }),
  );
  const withGrad = async (needX: boolean) => {
    x.requiresGrad = needX;
    w.requiresGrad = !needX;
    return timeOp(() =>
      tidy(() => {
        backward(sum(mul(conv2d(x, w), gOut)));
        x.grad?.dispose();
        w.grad?.dispose();
        x.grad = null;
        w.grad = null;
      }),
    );
  };
  const fwdMs = fwd.gpuMs ?? fwd.wallMs;
  const dxT = await withGrad(true),
    dwT = await withGrad(false);
  // The loss's own mul + sum, timed alone, comes off both.
  const y = tidy(() => conv2d(x, w).keep());
  const head = await timeOp(() =>
    tidy(() => {
      sum(mul(y, gOut));
    }),
  );
  y.dispose();
  const extra = fwdMs + (head.gpuMs ?? head.wallMs);
  return [
    ['forward', fwdMs],
    ['inputGrad', (dxT.gpuMs ?? dxT.wallMs) - extra],
    ['weightGrad', (dwT.gpuMs ?? dwT.wallMs) - extra],
  ];
}
