import { Tensor } from '../tensor/tensor';
import { linear, dropout } from '../ops/composite';
import { relu } from '../ops/elementwise';
import { seededRandom } from './random';

export interface Param { name: string; tensor: Tensor }

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation). */
  train: boolean;
  dropoutSeed?: number;
  step?: number;
}

/**
 * Fully connected ReLU net with PyTorch's names and layout: fc{i}.weight [out, in], fc{i}.bias.
 * Dropout (keep probability `keep`) after each hidden activation; the output is linear.
 */
export class FcNet {
  constructor(readonly sizes: number[], readonly params: Param[], readonly keep: number) {}

  /** PyTorch's nn.Linear default init, U(±1/√in) for weights and biases, from a seed. */
  static init(sizes: number[], keep: number, seed: number): FcNet {
    const random = seededRandom(seed);
    const params: Param[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const [inDim, outDim] = [sizes[i], sizes[i + 1]];
      const bound = 1 / Math.sqrt(inDim);
      const uniform = (n: number) => Float32Array.from({ length: n }, () => (2 * random() - 1) * bound);
      params.push({ name: `fc${i + 1}.weight`, tensor: Tensor.fromArray(uniform(inDim * outDim), [outDim, inDim], true).keep() });
      params.push({ name: `fc${i + 1}.bias`, tensor: Tensor.fromArray(uniform(outDim), [outDim], true).keep() });
    }
    return new FcNet(sizes, params, keep);
  }

  get weights(): Tensor[] { return this.params.filter((p) => p.name.endsWith('.weight')).map((p) => p.tensor); }

  forward(x: Tensor, opts: ForwardOptions): Tensor {
    return this.forwardTrace(x, opts).output;
  }

  /** The output and every weight matrix's input (what activation-based pruning measures). */
  forwardTrace(x: Tensor, opts: ForwardOptions): { output: Tensor; layerInputs: Tensor[] } {
    let h = x;
    const layerInputs: Tensor[] = [];
    const layers = this.sizes.length - 1;
    for (let i = 0; i < layers; i++) {
      layerInputs.push(h);
      h = linear(h, this.params[2 * i].tensor, this.params[2 * i + 1].tensor);
      if (i + 1 < layers) {
        h = relu(h);
        if (opts.train) h = dropout(h, this.keep, opts.dropoutSeed ?? 0, (opts.step ?? 0) * 64 + i);
      }
    }
    return { output: h, layerInputs };
  }

  /** Same biases, other weight matrices (e.g. pruned copies); shares the bias tensors. */
  withWeights(weights: Tensor[]): FcNet {
    const params = this.params.map((p, i) => (i % 2 === 0 ? { name: p.name, tensor: weights[i / 2] } : p));
    return new FcNet(this.sizes, params, this.keep);
  }

  dispose(): void { for (const p of this.params) p.tensor.dispose(); }
}
