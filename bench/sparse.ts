import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, tidy } from '../src/tensor/tensor';
import { spmm, spmmVectorWidth } from '../src/ops/spmm';
import { matmul } from '../src/ops/matmul';
import { conv2d } from '../src/ops/conv2d';
import { SparseMatrix, csrFromDense, type CsrHost } from '../src/tensor/csr';
import { decoupleConv, decoupleNet } from '../src/sparse/decouple';
import { SparseNet } from '../src/sparse/sparse-net';
import { DecoupledPruner, dropEntries } from '../src/prune/prune-decoupled';
import { parseScope } from '../src/prune/prune';
import { modelFromSafetensors } from '../src/nn/checkpoint';
import { readBytes } from '../src/io/files';
import { ConfigError } from '../src/util/errors';

import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf } from '../src/nn/config';
import { predict, EVAL_BATCH } from '../src/nn/evaluate';
import { seededRandom } from '../src/nn/random';
import { benchData, timeOp, python, printTable } from './common';
import { randomData } from './matmul';
import { defaultBackend as backend } from '../src/gpu/default-backend';
import { modelOfLayers } from '../src/nn/study-models';
import type { Sequential } from '../src/nn/modules';

const N = 250;
export const SPARSITIES = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];

interface Shape {
  name: string;
  build: () => CsrHost;
  dense: () => { run: () => void; dispose: () => void };
  numpyDense: boolean;
}

/** The study's shapes: FC layers as dense random matrices, conv layers decoupled (random weights). */
function shapes(): Shape[] {
  const fc = (name: string, rows: number, cols: number): Shape => {
    const w = randomData(rows * cols, 11);
    return {
      name,
      numpyDense: true,
      build: () => csrFromDense(w, rows, cols),
      dense: () => {
        const W = Tensor.fromArray(w, [rows, cols]),
          X = Tensor.fromArray(randomData(cols * N, 12), [cols, N]);
        return {
          run: () =>
            tidy(() => {
              matmul(W, X);
            }),
          dispose: () => {
            W.dispose();
            X.dispose();
          },
        };
      },
    };
  };
  const conv = (name: string, O: number, C: number, K: number): Shape => {
    const w = randomData(O * C * K * K, 13).map((v) => v || 0.5);
    return {
      name,
      numpyDense: false,
      build: () => decoupleConv(w, O, C, K, { height: 28, width: 28, padding: (K - 1) / 2, stride: 1 }),
      // The dense equivalent of a decoupled conv is the conv kernel itself (its dense matrix would be 0.03–1.2 GB).
      dense: () => {
        const W = Tensor.fromArray(w, [O, C, K, K]),
          X = Tensor.fromArray(randomData(N * C * 784, 14), [N, C, 28, 28]);
        return {
          run: () =>
            tidy(() => {
              conv2d(X, W);
            }),
          dispose: () => {
            W.dispose();
            X.dispose();
          },
        };
      },
    };
  };
  return [
    fc('fc1 of the FC net 1500×784', 1500, 784),
    conv('conv1 decoupled 9408×784', 12, 1, 7),
    conv('conv2 decoupled 11760×9408', 15, 12, 5),
    conv('conv3 decoupled 19600×11760', 25, 15, 3),
    conv('conv4 decoupled 15680×19600', 20, 25, 3),
    fc('fc1 of the CNN 1500×15680', 1500, 15680),
  ];
}

/** Removes a seeded random share `sparsity` of a matrix's nonzeros (exactly round(s·nnz)). */
export function pruneRandom(a: CsrHost, sparsity: number, seed: number): CsrHost {
  const nnz = a.colIdx.length,
    drop = Math.round(sparsity * nnz);
  const random = seededRandom(seed);
  const dropped = new Uint8Array(nnz);
  const order = Uint32Array.from({ length: nnz }, (_, i) => i);
  for (let i = 0; i < drop; i++) {
    const j = i + Math.floor(random() * (nnz - i));
    [order[i], order[j]] = [order[j], order[i]];
    dropped[order[i]] = 1;
  }
  return dropEntries(a, dropped);
}

const writeCsr = (file: string, a: CsrHost): void =>
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(a.rowPtr.buffer), Buffer.from(a.colIdx.buffer), Buffer.from(a.values.buffer)]),
  );
const gpuMs = (t: { gpuMs: number | null; wallMs: number }): number => t.gpuMs ?? t.wallMs;

/** Where CSR time falls below dense time, interpolated linearly between measured sparsities. */
function crossover(points: { sparsity: number; csrMs: number; denseMs: number }[]): number | null {
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p.csrMs <= p.denseMs) {
      if (i === 0) return p.sparsity;
      const q = points[i - 1],
        dq = q.csrMs - q.denseMs,
        dp = p.csrMs - p.denseMs;
      return q.sparsity + ((p.sparsity - q.sparsity) * dq) / (dq - dp);
    }
  }
  return null;
}

async function layerTable(dir: string) {
  const rows = [];
  const specs: { file: string; rows: number; cols: number; nnz: number; n: number; dense: boolean }[] = [];
  const crossovers = [];
  for (const s of shapes()) {
    const base = s.build();
    const dense = s.dense();
    const denseMs = gpuMs(await timeOp(dense.run, 3));
    dense.dispose();
    const points = [];
    for (const sparsity of SPARSITIES) {
      const a = pruneRandom(base, sparsity, 7);
      const file = join(dir, `m${specs.length}.bin`);
      writeCsr(file, a);
      specs.push({ file, rows: a.rows, cols: a.cols, nnz: a.colIdx.length, n: N, dense: s.numpyDense });
      const m = new SparseMatrix(a, s.name);
      const X = Tensor.fromArray(randomData(a.cols * N, 15), [a.cols, N]);
      const csrMs = gpuMs(
        await timeOp(
          () =>
            tidy(() => {
              spmm(m, X);
            }),
          3,
        ),
      );
      // The same kernel reading x one float at a time, in the same run, for the record.
      let csrScalarMs: number | null = null;
      if (spmmVectorWidth(backend(), N) > 1) {
        backend().kernels.pin({ 'spmm.x': 'scalar' });
        csrScalarMs = gpuMs(
          await timeOp(
            () =>
              tidy(() => {
                spmm(m, X);
              }),
            3,
          ),
        );
        backend().kernels.pin({ 'spmm.x': null });
      }
      // Sputnik's mapping (staged rows, longest first), in the same run: the tuner's other candidate.
      backend().kernels.pin({ spmm: 'staged' });
      const csrStagedMs = gpuMs(
        await timeOp(
          () =>
            tidy(() => {
              spmm(m, X);
            }),
          3,
        ),
      );
      backend().kernels.pin({ spmm: null });
      m.dispose();
      X.dispose();
      const nnz = a.colIdx.length;
      points.push({ sparsity, csrMs, denseMs });
      rows.push({
        matrix: s.name,
        rows: a.rows,
        cols: a.cols,
        pruned: sparsity,
        nnz,
        density: nnz / (a.rows * a.cols),
        batch: N,
        xVectorWidth: spmmVectorWidth(backend(), N),
        csrMs,
        csrGflops: (2 * nnz * N) / csrMs / 1e6,
        csrScalarXMs: csrScalarMs,
        csrStagedMs,
        stagedOverRows: csrMs / csrStagedMs,
        denseWgslMs: denseMs,
        csrSpeedupOverDense: denseMs / csrMs,
        scipyMs: null as number | null,
        numpyDenseMs: null as number | null,
        csrSpeedupOverScipy: null as number | null,
      });
    }
    crossovers.push({ matrix: s.name, crossoverPruned: crossover(points) });
  }
  return { rows, specs, crossovers };
}

/**
 * The study CNN decoupled, fc1 pruned 90%, over the test images in batches of EVAL_BATCH, as the
 * sweep evaluates (scipy gets the same batches). By default a random init with fc1's entries
 * dropped at random; with a trained model (`--cnn-model FILE`) fc1 is pruned by magnitude, as the
 * study did. The pattern matters, not the values: magnitude pruning leaves fewer of fc1's inputs
 * in use, and CSR ran 1.5x faster on it than on a random pattern (docs/sparse-lavapipe.md).
 */
async function wholeCnn(dir: string, trained: { net: Sequential; file: string } | null) {
  const data = benchData(existsSync('../shared/data/mnist') ? '../shared/data/mnist' : 'embedded');
  const test = data.test;
  const source = data.name;
  const modelFile = trained?.file ?? null;
  const net = trained?.net ?? modelOfLayers(layersOf({ ...DEFAULT_CONFIG, ...CNN_DEFAULTS }), 0, 1);
  const all = await decoupleNet(net);
  net.dispose();
  const fc1 = all.findIndex((l) => l.name === 'fc1');
  const layers = modelFile
    ? new DecoupledPruner(all, null, {
        method: 'abs',
        scope: parseScope(`layer:${fc1 + 1}`, all.length),
        combinedOffset: 0,
        seed: 1,
      }).prunedLayers(0.9)
    : all.map((l, i) => (i === fc1 ? { ...l, csr: pruneRandom(l.csr, 0.9, 3) } : l));
  // All layers through the CSR kernel (the study's path, in scipy), and the kernels the sweep would pick (measured).
  const timeNet = async (kernels: ('csr' | 'dense' | 'conv')[] | 'auto') => {
    const sparse = kernels === 'auto' ? await SparseNet.fastest(layers, EVAL_BATCH) : new SparseNet(layers, kernels);
    await predict(sparse, { ...test, count: EVAL_BATCH }, EVAL_BATCH); // warm-up: pipelines, buffers
    await backend().runner.sync();
    const t0 = performance.now();
    await predict(sparse, test, EVAL_BATCH);
    const ms = performance.now() - t0;
    const used = sparse.kernels;
    sparse.dispose();
    return { ms, kernels: used };
  };
  const allCsr = await timeNet(layers.map(() => 'csr'));
  const auto = await timeNet('auto');
  const { ms, kernels } = allCsr;
  const chain = layers.map((l, i) => {
    const file = join(dir, `cnn${i}.bin`);
    writeCsr(file, l.csr);
    writeFileSync(join(dir, `cnn${i}.bias`), Buffer.from(l.bias.buffer));
    return {
      file,
      bias: join(dir, `cnn${i}.bias`),
      rows: l.csr.rows,
      cols: l.csr.cols,
      nnz: l.csr.colIdx.length,
      relu: l.after.some((op) => op.kind === 'relu'),
    };
  });
  const nnz = layers.reduce((s, l) => s + l.csr.colIdx.length, 0);
  return {
    model: modelFile ?? 'random init',
    fc1Pruning: modelFile ? 'magnitude' : 'random',
    source,
    images: test.count,
    batch: EVAL_BATCH,
    ms,
    kernels,
    nnz,
    chain,
    usefulGflops: (2 * nnz * test.count) / ms / 1e6,
    autoKernels: { ms: auto.ms, kernels: auto.kernels },
  };
}

/** A trained CNN checkpoint for the whole-CNN forward, checked before any timing starts. */
function loadCnn(file: string): { net: Sequential; file: string } {
  const { model } = modelFromSafetensors(readBytes(file), file);
  if (!model.layers.some((l) => l.kind === 'conv') || !model.layers.some((l) => l.kind === 'linear')) {
    model.dispose();
    throw new ConfigError(`sparse --cnn-model ${file}: not a CNN checkpoint (it has no conv layer followed by fc1)`);
  }
  return { net: model, file };
}

export async function benchSparse(options: { cnnModel?: string } = {}) {
  const trained = options.cnnModel ? loadCnn(options.cnnModel) : null;
  const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-sparse-'));
  try {
    const { rows, specs, crossovers } = await layerTable(dir);
    const cnn = await wholeCnn(dir, trained);
    const py = python<{
      scipy: string;
      numpy: string;
      results: { scipyMs: number; numpyDenseMs?: number }[];
      cnn: { ms: number; images: number };
    }>('bench/scipy_spmm.py', [
      JSON.stringify(specs),
      JSON.stringify({ chain: cnn.chain, images: cnn.images, source: cnn.source, batch: cnn.batch }),
    ]);
    rows.forEach((r, i) => {
      const p = py.value?.results[i];
      if (!p) return;
      r.scipyMs = p.scipyMs;
      r.numpyDenseMs = p.numpyDenseMs ?? null;
      r.csrSpeedupOverScipy = p.scipyMs / r.csrMs;
    });
    printTable(
      `CSR × dense at batch ${N} (ours: GPU timestamps; scipy: one thread; numpy dense: BLAS, all cores)`,
      [
        'matrix',
        'pruned',
        'nnz',
        'CSR ms',
        'CSR GFLOP/s',
        'f32-load CSR ms',
        'staged CSR ms',
        'dense WGSL ms',
        'CSR/dense speed-up',
        'scipy ms',
        'vs scipy',
        'numpy dense ms',
      ],
      rows.map((r) => [
        r.matrix,
        r.pruned,
        r.nnz,
        r.csrMs,
        r.csrGflops,
        r.csrScalarXMs ?? '-',
        r.csrStagedMs,
        r.denseWgslMs,
        r.csrSpeedupOverDense,
        r.scipyMs ?? '-',
        r.csrSpeedupOverScipy ?? '-',
        r.numpyDenseMs ?? '-',
      ]),
    );
    printTable(
      'crossover: pruned share above which CSR beats the dense kernel',
      ['matrix', 'crossover'],
      crossovers.map((c) => [c.matrix, c.crossoverPruned ?? 'never']),
    );
    const scipyCnn = py.value?.cnn ?? null;
    const { chain: _chain, ...cnnResult } = cnn;
    printTable(
      `decoupled ${cnn.model === 'random init' ? 'study CNN (random init, fc1 90% pruned at random)' : `${cnn.model} (fc1 90% pruned by magnitude)`}, forward over ${cnn.images} test images (${cnn.source}) in batches of ${cnn.batch}`,
      ['', 'ms', 'useful GFLOP/s'],
      [
        ['sparsegrad, all CSR', cnn.ms, cnn.usefulGflops],
        [
          `sparsegrad, kernels by crossover (${cnn.autoKernels.kernels.map((k) => k.kernel).join(' ')})`,
          cnn.autoKernels.ms,
          '-',
        ],
        ['scipy (one thread)', scipyCnn?.ms ?? '-', scipyCnn ? (2 * cnn.nnz * cnn.images) / scipyCnn.ms / 1e6 : '-'],
        ['ratio scipy/ours (all CSR)', scipyCnn ? scipyCnn.ms / cnn.ms : '-', ''],
        ['ratio scipy/ours (by crossover)', scipyCnn ? scipyCnn.ms / cnn.autoKernels.ms : '-', ''],
      ],
    );
    return {
      batch: N,
      rows,
      crossovers,
      cnn: {
        ...cnnResult,
        scipyMs: scipyCnn?.ms ?? null,
        speedupOverScipy: scipyCnn ? scipyCnn.ms / cnn.ms : null,
        autoSpeedupOverScipy: scipyCnn ? scipyCnn.ms / cnn.autoKernels.ms : null,
      },
      scipy: py.value ? { scipy: py.value.scipy, numpy: py.value.numpy } : py.note,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
