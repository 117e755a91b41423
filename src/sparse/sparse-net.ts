import { Tensor } from '../tensor/tensor';
import { gpu } from '../gpu/device';
import { ConfigError } from '../gpu/errors';
import { conv2d } from '../ops/conv2d';
import { IMAGE_SIDE } from '../nn/net';
import { add, relu } from '../ops/elementwise';
import { matmul } from '../ops/matmul';
import { spmm } from '../ops/spmm';
import { transpose } from '../ops/transpose';
import type { Param } from '../nn/net';
import { SparseMatrix, type CsrHost } from './csr';
import type { DecoupledLayer } from './decouple';

/** csr: spmm; dense: the tiled matmul on the dense matrix; conv: an unpruned decoupled conv layer run as the conv kernel. */
export type Kernel = 'csr' | 'dense' | 'conv';

/**
 * Below this density (nonzeros / entries) a layer runs as CSR, above it as the dense matmul.
 * `npm run bench -- sparse` on lavapipe put the crossover at 68% pruned for the FC net's
 * 1500×784 and 76% for the CNN's 1500×15680 (results/bench-software-sparse.json), so CSR
 * from density 0.3. Dense is also ruled out when the matrix would not fit a storage buffer.
 */
export const CSR_BELOW_DENSITY = 0.3;

export const density = (c: CsrHost): number => c.colIdx.length / (c.rows * c.cols);

export function pickKernel(c: CsrHost, threshold = CSR_BELOW_DENSITY, unprunedConv = false): Kernel {
  // bench/sparse.ts: the conv kernel beats CSR on every study layer until 43–77% is pruned.
  if (unprunedConv) return 'conv';
  const fitsDense = c.rows * c.cols * 4 <= gpu().device.limits.maxStorageBufferBindingSize;
  return density(c) < threshold || !fitsDense ? 'csr' : 'dense';
}

function denseOf(c: CsrHost): Float32Array {
  const d = new Float32Array(c.rows * c.cols);
  for (let r = 0; r < c.rows; r++) for (let k = c.rowPtr[r]; k < c.rowPtr[r + 1]; k++) d[r * c.cols + c.colIdx[k]] = c.values[k];
  return d;
}

/** bias: [rows, 1] for feature-major layers, [O, 1, 1] per channel for a conv-kernel layer. */
interface GpuLayer { name: string; kernel: Kernel; sparse?: SparseMatrix; dense?: Tensor; conv?: Tensor; bias: Tensor; relu: boolean; nnz: number; entries: number }

/**
 * A decoupled (or any layer-wise sparse) model on the GPU. Activations run feature-major,
 * [features, N], so every layer is A·h with no transposes between layers: CSR layers through
 * spmm, dense ones through the tiled matmul. Input gradients flow through both.
 */
export class SparseNet {
  private gpuLayers: GpuLayer[];
  readonly params: Param[];

  constructor(readonly layers: DecoupledLayer[], kernels: Kernel[] | 'auto' = 'auto') {
    this.gpuLayers = layers.map((l, i) => {
      const unprunedConv = !!l.conv && l.conv.nnz === l.csr.colIdx.length;
      const kernel = kernels === 'auto' ? pickKernel(l.csr, CSR_BELOW_DENSITY, unprunedConv) : kernels[i];
      if (kernel === 'conv' && !unprunedConv) throw new ConfigError(`${l.name}: only an unpruned decoupled conv layer can run as the conv kernel`);
      const base = { name: l.name, kernel, relu: l.relu, nnz: l.csr.colIdx.length, entries: l.csr.rows * l.csr.cols };
      if (kernel === 'conv') {
        const [O] = l.conv!.shape;
        const perChannel = Float32Array.from({ length: O }, (_, o) => l.bias[o * IMAGE_SIDE * IMAGE_SIDE]);
        return { ...base, bias: Tensor.fromArray(perChannel, [O, 1, 1]).keep(), conv: Tensor.fromArray(l.conv!.weight, l.conv!.shape).keep() };
      }
      const bias = Tensor.fromArray(l.bias, [l.bias.length, 1]).keep();
      return kernel === 'csr' ? { ...base, bias, sparse: new SparseMatrix(l.csr, l.name) } : { ...base, bias, dense: Tensor.fromArray(denseOf(l.csr), [l.csr.rows, l.csr.cols]).keep() };
    });
    this.params = this.gpuLayers.flatMap((l) => [{ name: `${l.name}.weight`, tensor: l.sparse ? l.sparse.a.values : l.conv ?? l.dense! }, { name: `${l.name}.bias`, tensor: l.bias }]);
  }

  /** Per layer: which kernel runs it and its density (what result files record). */
  get kernels(): { layer: string; kernel: Kernel; density: number }[] {
    return this.gpuLayers.map((l) => ({ layer: l.name, kernel: l.kernel, density: l.nnz / l.entries }));
  }

  /** x [N, 784] → outputs [N, 10]. */
  forward(x: Tensor, _opts: { train: boolean } = { train: false }): Tensor {
    const n = x.shape[0];
    let h = x; // example-major [N, features] while conv layers run, feature-major after
    let featureMajor = false;
    for (const l of this.gpuLayers) {
      if (l.conv) {
        if (featureMajor) { h = transpose(h); featureMajor = false; }
        const [, C] = l.conv.shape;
        h = add(conv2d(h.reshape([n, C, IMAGE_SIDE, IMAGE_SIDE]), l.conv, 'same'), l.bias);
        if (l.relu) h = relu(h);
        h = h.reshape([n, h.size / n]);
        continue;
      }
      if (!featureMajor) { h = transpose(h); featureMajor = true; }
      h = add(l.sparse ? spmm(l.sparse, h) : matmul(l.dense!, h), l.bias);
      if (l.relu) h = relu(h);
    }
    return featureMajor ? transpose(h) : h;
  }

  dispose(): void {
    for (const l of this.gpuLayers) { l.sparse?.dispose(); l.dense?.dispose(); l.conv?.dispose(); l.bias.dispose(); }
  }
}
