import { describe, expect, it } from 'vitest';
import { compare, randomArray, useGpu } from '../helpers';
import { cnnLayers } from '../../src/nn/layer-spec';
import { decoupleConv, decoupleNet } from '../../src/sparse/decouple';
import { SparseNet } from '../../src/sparse/sparse-net';
import { csrFromDense } from '../../src/tensor/csr';
import {
  PROBE_MAX_BYTES,
  TIME_OWN_MATRIX_WITHIN,
  chooseCsrOrDense,
  closeCall,
  crossoverDensity,
  csrMs,
  fasterKernel,
  layerCosts,
  type LayerCosts,
} from '../../src/sparse/kernel-choice';
import { Tensor, backward, tidyAsync } from '../../src/tensor/tensor';
import { sum } from '../../src/ops/reduce';
import { mul } from '../../src/ops/elementwise';
import { accuracy } from '../../src/nn/evaluate';
import type { Dataset } from '../../src/data/dataset';
import { refConv2d } from '../ref/ref';
import { defaultBackend as backend } from '../../src/gpu/default-backend';
import { modelOfLayers } from '../../src/nn/study-models';

useGpu();

const LAYERS = cnnLayers(
  [
    { channels: 3, kernel: 5 },
    { channels: 2, kernel: 3 },
  ],
  [16],
  [1, 28, 28],
  10,
);

/** Output and d(Σ G·output)/dx of a model on x. */
async function outputAndInputGrad(model: { forward(x: Tensor): Tensor }, x: Float32Array, n: number) {
  return tidyAsync(async () => {
    const xt = Tensor.fromArray(x, [n, 784], true);
    const y = model.forward(xt);
    backward(sum(mul(y, Tensor.fromArray(Float32Array.from(randomArray(n * 10, 77)), [n, 10]))));
    return { y: await y.read(), dx: await xt.grad!.read() };
  });
}

describe('decoupling conv layers into sparse matrices', () => {
  it("the study's first layer (7×7×12 on 28×28, same padding) is 9,408 × 784 with 12·184² nonzeros; zero weights leave none", () => {
    // Per axis the in-image taps over 28 positions number 28·7 − 2·(3+2+1) = 184.
    const w = Float32Array.from(randomArray(12 * 49, 3)).map((v) => v || 0.5);
    const study = { height: 28, width: 28, padding: 3, stride: 1 };
    const a = decoupleConv(w, 12, 1, 7, study);
    expect([a.rows, a.cols, a.colIdx.length]).toEqual([9408, 784, 12 * 184 * 184]);
    w.fill(0, 0, 49); // filter 0 pruned away
    expect(decoupleConv(w, 12, 1, 7, study).colIdx.length).toBe(11 * 184 * 184);
  });

  it('with stride and padding on non-square maps, A·flatten(x) is the float64 convolution', () => {
    for (const [C, O, K, H, W, P, S] of [
      [2, 3, 3, 9, 10, 1, 2],
      [1, 2, 4, 8, 7, 0, 3],
      [3, 2, 5, 6, 6, 2, 1],
    ]) {
      const w = Float32Array.from(randomArray(O * C * K * K, 21 + K));
      const x = randomArray(C * H * W, 22 + K, 0, 1);
      const a = decoupleConv(w, O, C, K, { height: H, width: W, padding: P, stride: S });
      const want = refConv2d(
        { data: x, shape: [1, C, H, W] },
        { data: Float64Array.from(w), shape: [O, C, K, K] },
        P,
        S,
      );
      expect([a.rows, a.cols]).toEqual([want.data.length, C * H * W]);
      const got = Float64Array.from({ length: a.rows }, (_, r) => {
        let s = 0;
        for (let k = a.rowPtr[r]; k < a.rowPtr[r + 1]; k++) s += a.values[k] * x[a.colIdx[k]];
        return s;
      });
      compare(`decoupled conv ${H}x${W} p${P} s${S}`, got, want.data, 1e-5, 1e-5);
    }
  });

  it("a decoupled CNN gives the dense CNN's outputs (1e-4 relative), input gradients and accuracy, as CSR and as dense layers", async () => {
    const net = modelOfLayers(LAYERS, 0, 5);
    const layers = await decoupleNet(net);
    const n = 6;
    const x = Float32Array.from(randomArray(n * 784, 6, 0, 1));
    const want = await outputAndInputGrad({ forward: (t) => net.forward(t, { train: false }) }, x, n);
    const data: Dataset = {
      images: Float32Array.from(randomArray(40 * 784, 9, 0, 1)),
      labels: Uint8Array.from({ length: 40 }, (_, i) => i % 10),
      count: 40,
      pixels: 784,
      shape: [1, 28, 28],
      source: 'test',
    };
    const wantAcc = await accuracy(net, data, 16);
    for (const kernels of [
      ['csr', 'csr', 'csr', 'csr'],
      ['dense', 'csr', 'dense', 'dense'],
      ['conv', 'conv', 'dense', 'csr'],
    ] as const) {
      const sparse = new SparseNet(layers, [...kernels]);
      const got = await outputAndInputGrad(sparse, x, n);
      compare(`decoupled outputs (${kernels})`, got.y, want.y, 1e-4, 1e-6);
      compare(`decoupled input gradient (${kernels})`, got.dx, want.dx, 1e-4, 1e-6);
      expect(await accuracy(sparse, data, 16)).toBe(wantAcc);
      sparse.dispose();
    }
    net.dispose();
  });
});

/** The kernel follows the times it reports: the cost line's prediction, or (on a close call only) a timing of the layer's own matrix. */
function expectChoiceFrom(k: SparseNet['kernels'][number], costs: LayerCosts, nnz: number): void {
  expect(k.denseMs).toBe(costs.denseMs);
  expect(k.csrTimed).toBe(closeCall(costs, nnz));
  if (!k.csrTimed) {
    expect(k.csrMs).toBe(csrMs(costs, nnz));
    expect(k.kernel).toBe(fasterKernel(costs, nnz));
  } else expect(k.csrMs).toBeGreaterThan(0);
  expect(k.kernel).toBe(k.csrMs! < k.denseMs! ? 'csr' : 'dense');
}

describe('kernel choice', () => {
  it('the faster kernel by measured costs: CSR below the crossover density, dense above; never dense when it does not fit', () => {
    const costs = { rows: 100, cols: 200, batch: 250, denseMs: 10, csrFixedMs: 1, csrMsPerNnz: 0.001 }; // CSR = dense at 9,000 nnz
    expect(crossoverDensity(costs)).toBeCloseTo(0.45, 12);
    expect(fasterKernel(costs, 8999)).toBe('csr');
    expect(fasterKernel(costs, 9001)).toBe('dense');
    expect(fasterKernel({ ...costs, denseMs: null }, 20000)).toBe('csr');
    expect(crossoverDensity({ ...costs, denseMs: 0.5 })).toBe(0);
    expect(crossoverDensity({ ...costs, denseMs: 1e6 })).toBe(1);
    // Within a factor TIME_OWN_MATRIX_WITHIN (2) of dense, the layer's own matrix is timed instead.
    expect(TIME_OWN_MATRIX_WITHIN).toBe(2);
    expect(closeCall(costs, 3900)).toBe(false); // CSR predicted 4.9 ms: under half of dense
    expect(closeCall(costs, 4100)).toBe(true);
    expect(closeCall(costs, 9000)).toBe(true);
    expect(closeCall(costs, 18900)).toBe(true); // 19.9 ms
    expect(closeCall(costs, 19100)).toBe(false); // 20.1 ms: over twice dense
    expect(closeCall({ ...costs, denseMs: null }, 9000)).toBe(false);
  });

  it('a layer bigger than PROBE_MAX_BYTES is probed on a slice of its rows, made on the GPU, and its costs scaled up', async () => {
    const cols = 2048,
      rows = Math.floor((1.5 * PROBE_MAX_BYTES) / (4 * cols)); // 1.5× the cap
    if (rows * cols * 4 > backend().gpu.device.limits.maxStorageBufferBindingSize)
      return expect(() => layerCosts(backend(), rows, cols, 8)).rejects.toThrow(/does not fit/);
    const acquire = backend().pool.acquire.bind(backend().pool);
    let largest = 0;
    backend().pool.acquire = (bytes: number) => {
      largest = Math.max(largest, bytes);
      return acquire(bytes);
    };
    const costs = await layerCosts(backend(), rows, cols, 8).finally(() => {
      backend().pool.acquire = acquire;
    });
    // No buffer as large as the whole 96 MiB matrix: the dense slice is the largest.
    expect(largest).toBeLessThanOrEqual(PROBE_MAX_BYTES);
    expect(largest).toBeGreaterThan(PROBE_MAX_BYTES * 0.9);
    expect(costs.denseMs).toBeGreaterThan(0);
    expect(costs.csrMsPerNnz).toBeGreaterThan(0);
    expect(crossoverDensity(costs)).toBeGreaterThanOrEqual(0);
  });

  it("a close call is settled by timing the layer's own matrix, and the kernel follows those times", async () => {
    const rows = 512,
      cols = 512,
      batch = 64;
    // Cost lines given, so that which branch runs does not hang on this adapter's timing noise
    // (a loaded CPU adapter once measured CSR's fixed cost at 3x the whole dense product).
    const d = 0.1,
      nnz = Math.round(d * rows * cols);
    const costs = { rows, cols, batch, denseMs: 5, csrFixedMs: 0, csrMsPerNnz: 5 / nnz }; // CSR predicted = dense
    expect(closeCall(costs, nnz)).toBe(true);
    const pattern = (dens: number, r = rows, c = cols) =>
      csrFromDense(
        Float32Array.from(randomArray(r * c, 3), (v, i) =>
          ((i * 2654435761) >>> 0) % 1000000 < dens * 1000000 ? v || 1 : 0,
        ),
        r,
        c,
      );
    const timed = await chooseCsrOrDense(backend(), pattern(d), batch, 'close call', costs);
    expect(timed.csrTimed).toBe(true);
    expect(timed.csrMs).toBeGreaterThan(0);
    expect(timed.denseMs).toBe(costs.denseMs);
    expect(timed.kernel).toBe(timed.csrMs < costs.denseMs! ? 'csr' : 'dense');
    // Far from the crossover the cost line decides alone, timing nothing.
    const big = 2048;
    const a = pattern(2e-6, big, big);
    const bigCosts = { rows: big, cols: big, batch, denseMs: 50, csrFixedMs: 0.1, csrMsPerNnz: 1e-6 };
    expect(closeCall(bigCosts, a.colIdx.length)).toBe(false);
    const predicted = await chooseCsrOrDense(backend(), a, batch, 'far call', bigCosts);
    expect(predicted).toEqual({
      kernel: fasterKernel(bigCosts, a.colIdx.length),
      csrBelowDensity: crossoverDensity(bigCosts),
      denseMs: bigCosts.denseMs,
      csrMs: csrMs(bigCosts, a.colIdx.length),
      csrTimed: false,
    });
  });

  it('auto: unpruned conv layers run as conv, other layers by costs measured on this adapter; a pruned conv layer cannot run as conv', async () => {
    const net = modelOfLayers(LAYERS, 0, 5);
    const layers = await decoupleNet(net);
    const auto = await SparseNet.fastest(layers, 64);
    expect(auto.kernels.slice(0, 2).map((k) => k.kernel)).toEqual(['conv', 'conv']);
    const { DecoupledPruner } = await import('../../src/prune/prune-decoupled');
    const { parseScope } = await import('../../src/prune/prune');
    const pruned = new DecoupledPruner(layers, null, {
      method: 'abs',
      scope: parseScope('per-matrix', 4),
      combinedOffset: 0.07,
      seed: 1,
    }).prunedLayers(0.9);
    const p = await SparseNet.fastest(pruned, 64);
    for (const [i, l] of pruned.entries()) {
      const costs = await layerCosts(backend(), l.csr.rows, l.csr.cols, 64);
      expect(costs.csrMsPerNnz).toBeGreaterThan(0);
      expect(costs.denseMs).toBeGreaterThan(0);
      expectChoiceFrom(p.kernels[i], costs, l.csr.colIdx.length);
      expect(p.kernels[i].csrBelowDensity).toBe(crossoverDensity(costs));
      if (i >= 2) expectChoiceFrom(auto.kernels[i], costs, layers[i].csr.colIdx.length);
    }
    // A layer too big for a dense binding is not measured (it can only run as CSR).
    const tooBig = Math.floor(backend().gpu.device.limits.maxStorageBufferBindingSize / 4000) + 1;
    await expect(layerCosts(backend(), tooBig, 1000, 64)).rejects.toThrow(
      new RegExp(`dense \\[${tooBig}, 1000\\] matrix does not fit one storage binding`),
    );
    // The chosen nets compute the same function as explicit kernels.
    const x = Float32Array.from(randomArray(3 * 784, 9, 0, 1));
    const forced = new SparseNet(pruned, ['csr', 'csr', 'csr', 'csr']);
    compare(
      'measured kernels vs all CSR',
      (await outputAndInputGrad(p, x, 3)).y,
      (await outputAndInputGrad(forced, x, 3)).y,
      1e-4,
      1e-6,
    );
    expect(() => new SparseNet(pruned, ['conv', 'csr', 'csr', 'csr'])).toThrow(
      /conv1: only an unpruned decoupled conv layer can run as the conv kernel/,
    );
    expect(() => new SparseNet(pruned, ['csr', 'csr', 'csr'])).toThrow(/3 kernels for 4 layers/);
    for (const m of [auto, p, forced]) m.dispose();
    net.dispose();
  });
});
