import { Tensor } from '../tensor/tensor.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { ConfigError } from '../util/errors.js';
import { conv2d } from '../ops/conv2d.js';
import { add, relu } from '../ops/elementwise.js';
import { avgPool2d, maxPool2d } from '../ops/pool2d.js';
import { matmul } from '../ops/matmul.js';
import { spmm, spmmBucket, tuneSpmm } from '../ops/spmm.js';
import { transpose } from '../ops/transpose.js';
import type { Param } from '../nn/layer-spec.js';
import { SparseMatrix, type CsrHost } from '../tensor/csr.js';
import type { AfterOp, ConvGeometry, DecoupledLayer } from './decouple.js';
import { chooseCsrOrDense, fitsDenseBinding, type KernelChoice } from './kernel-choice.js';
import type { Backend } from '../gpu/backend.js';

/** csr: spmm; dense: the tiled matmul on the dense matrix; conv: an unpruned decoupled conv layer run as the conv kernel. */
export type Kernel = 'csr' | 'dense' | 'conv';

/** Dense is ruled out where the matrix would not fit one storage binding. */
const fitsDense = (be: Backend, c: CsrHost): boolean => fitsDenseBinding(be, c.rows, c.cols);

export const density = (c: CsrHost): number => c.colIdx.length / (c.rows * c.cols);
const isUnprunedConv = (l: DecoupledLayer): boolean => !!l.conv && l.conv.nnz === l.csr.colIdx.length;

/**
 * Per layer, the kernel that is faster on this adapter for `batch` columns: an unpruned
 * decoupled conv layer runs as the conv kernel (bench/sparse.ts: it beats CSR on every study
 * layer until 49–92% is pruned on lavapipe, docs/sparse-lavapipe.md); any other layer as CSR or
 * dense by the measured crossover, timing the layer's own matrix where the two are close.
 */
export async function chooseKernels(
  be: Backend,
  layers: DecoupledLayer[],
  batch: number,
): Promise<{ kernels: Kernel[]; choices: (KernelChoice | null)[] }> {
  const kernels: Kernel[] = [];
  const choices: (KernelChoice | null)[] = [];
  for (const l of layers) {
    if (isUnprunedConv(l)) {
      kernels.push('conv');
      choices.push(null);
      continue;
    }
    // With a tuner, the CSR mapping (rows or staged) is measured on this layer's matrix first,
    // unless its bucket already has a winner (then nothing is uploaded for it).
    const { tuner } = be.kernels;
    const { rows, cols, colIdx } = l.csr;
    if (tuner && colIdx.length && tuner.lookup(spmmBucket(rows, cols, batch, colIdx.length)) === undefined) {
      const m = new SparseMatrix(l.csr, l.name, be);
      await tuneSpmm(tuner, m.a, batch);
      m.dispose();
    }
    if (!fitsDense(be, l.csr)) {
      kernels.push('csr');
      choices.push(null);
      continue;
    } // nothing to measure
    const choice = await chooseCsrOrDense(be, l.csr, batch, l.name);
    kernels.push(choice.kernel);
    choices.push(choice);
  }
  return { kernels, choices };
}

function denseOf(c: CsrHost): Float32Array {
  const d = new Float32Array(c.rows * c.cols);
  for (let r = 0; r < c.rows; r++)
    for (let k = c.rowPtr[r]; k < c.rowPtr[r + 1]; k++) d[r * c.cols + c.colIdx[k]] = c.values[k];
  return d;
}

/** bias: [rows, 1] for feature-major layers, [O, 1, 1] per channel for a conv-kernel layer. */
interface GpuLayer {
  name: string;
  kernel: Kernel;
  sparse?: SparseMatrix;
  dense?: Tensor;
  conv?: Tensor;
  /** The conv kernel's input maps, padding and stride. */
  geometry?: ConvGeometry;
  bias: Tensor;
  after: AfterOp[];
  nnz: number;
  entries: number;
}

/**
 * A decoupled (or any layer-wise sparse) model on the GPU. Activations run feature-major,
 * [features, N], so every layer is A·h with no transposes between layers: CSR layers through
 * spmm, dense ones through the tiled matmul. Input gradients flow through both.
 */
export class SparseNet {
  private gpuLayers: GpuLayer[];
  readonly params: Param[];

  /** Kernels measured on this adapter (chooseKernels) for batches of `batch` columns. */
  static async fastest(layers: DecoupledLayer[], batch: number, backend = defaultBackend()): Promise<SparseNet> {
    const { kernels, choices } = await chooseKernels(backend, layers, batch);
    return new SparseNet(layers, kernels, choices, backend);
  }

  constructor(
    readonly layers: DecoupledLayer[],
    kernels: Kernel[],
    private choices: (KernelChoice | null)[] = [],
    /** The backend its layers live on. */
    readonly backend: Backend = defaultBackend(),
  ) {
    const be = backend;
    if (kernels.length !== layers.length)
      throw new ConfigError(`SparseNet: ${kernels.length} kernels for ${layers.length} layers`);
    this.gpuLayers = layers.map((l, i) => {
      const kernel = kernels[i];
      if (kernel === 'dense' && !fitsDense(be, l.csr))
        throw new ConfigError(
          `${l.name}: [${l.csr.rows}, ${l.csr.cols}] does not fit one storage buffer as a dense matrix; run it as csr`,
        );
      if (kernel === 'conv' && !isUnprunedConv(l))
        throw new ConfigError(`${l.name}: only an unpruned decoupled conv layer can run as the conv kernel`);
      const base = { name: l.name, kernel, after: l.after, nnz: l.csr.colIdx.length, entries: l.csr.rows * l.csr.cols };
      if (kernel === 'conv') {
        const [O] = l.conv!.shape;
        const plane = l.bias.length / O;
        const perChannel = Float32Array.from({ length: O }, (_, o) => l.bias[o * plane]);
        return {
          ...base,
          bias: Tensor.fromArray(perChannel, [O, 1, 1], false, be).keep(),
          conv: Tensor.fromArray(l.conv!.weight, l.conv!.shape, false, be).keep(),
          geometry: l.conv!,
        };
      }
      const bias = Tensor.fromArray(l.bias, [l.bias.length, 1], false, be).keep();
      return kernel === 'csr'
        ? { ...base, bias, sparse: new SparseMatrix(l.csr, l.name, be) }
        : { ...base, bias, dense: Tensor.fromArray(denseOf(l.csr), [l.csr.rows, l.csr.cols], false, be).keep() };
    });
    this.params = this.gpuLayers.flatMap((l) => [
      { name: `${l.name}.weight`, tensor: l.sparse ? l.sparse.a.values : (l.conv ?? l.dense!) },
      { name: `${l.name}.bias`, tensor: l.bias },
    ]);
  }

  /** Every parameter tensor (what attacks freeze), as a Module's parameters(). */
  parameters(): Tensor[] {
    return this.params.map((p) => p.tensor);
  }

  /**
   * Per layer: which kernel runs it, its density and, where the choice was measured, the density
   * below which CSR wins for this shape and the CSR and dense times compared (csrTimed: CSR timed
   * on this layer's matrix rather than predicted).
   */
  get kernels(): {
    layer: string;
    kernel: Kernel;
    density: number;
    csrBelowDensity: number | null;
    csrMs: number | null;
    denseMs: number | null;
    csrTimed: boolean;
  }[] {
    return this.gpuLayers.map((l, i) => {
      const c = this.choices[i];
      return {
        layer: l.name,
        kernel: l.kernel,
        density: l.nnz / l.entries,
        csrBelowDensity: c?.csrBelowDensity ?? null,
        csrMs: c?.csrMs ?? null,
        denseMs: c?.denseMs ?? null,
        csrTimed: c?.csrTimed ?? false,
      };
    });
  }

  /** x [N, pixels] → outputs [N, classes]. */
  forward(x: Tensor, _opts: { train: boolean } = { train: false }): Tensor {
    const n = x.shape[0];
    let h = x; // example-major [N, features] while conv and pooling layers run, feature-major for matrices
    let featureMajor = false;
    const exampleMajor = () => {
      if (featureMajor) h = transpose(h);
      featureMajor = false;
    };
    for (const l of this.gpuLayers) {
      if (l.conv) {
        exampleMajor();
        const [, C] = l.conv.shape;
        const { height, width, padding, stride } = l.geometry!;
        h = add(conv2d(h.reshape([n, C, height, width]), l.conv, padding, stride), l.bias);
        h = h.reshape([n, h.size / n]);
      } else {
        if (!featureMajor) h = transpose(h);
        featureMajor = true;
        h = add(l.sparse ? spmm(l.sparse, h) : matmul(l.dense!, h), l.bias);
      }
      for (const op of l.after) {
        if (op.kind === 'relu') {
          h = relu(h);
          continue;
        }
        exampleMajor();
        const pool = op.type === 'MaxPool2d' ? maxPool2d : avgPool2d;
        h = pool(h.reshape([n, ...op.input]), op);
        h = h.reshape([n, h.size / n]);
      }
    }
    return featureMajor ? transpose(h) : h;
  }

  dispose(): void {
    for (const l of this.gpuLayers) {
      l.sparse?.dispose();
      l.dense?.dispose();
      l.conv?.dispose();
      l.bias.dispose();
    }
  }
}
