import { Tensor } from '../tensor/tensor.js';
import { linear } from '../ops/composite.js';
import { matmul } from '../ops/matmul.js';
import { biasReluDropout } from '../ops/bias_relu_dropout.js';
import { conv2d, convOutputSide } from '../ops/conv2d.js';
import { ShapeError, fmtShape } from '../gpu/errors.js';
import { seededRandom } from './random.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';

export interface Param {
  name: string;
  tensor: Tensor;
}

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation). */
  train: boolean;
  dropoutSeed?: number;
  step?: number;
}

/**
 * One weight layer; PyTorch names: conv{i}, fc{i}. A conv layer knows its input maps
 * (height × width), zero padding and stride, so its output size and its weights' input
 * positions follow (the study's CNN: same-padded, stride 1).
 */
export type LayerSpec =
  | {
      kind: 'conv';
      name: string;
      inChannels: number;
      outChannels: number;
      kernel: number;
      height: number;
      width: number;
      padding: number;
      stride: number;
    }
  | { kind: 'linear'; name: string; inDim: number; outDim: number };
export type ConvLayerSpec = Extract<LayerSpec, { kind: 'conv' }>;

/** Output maps of a conv layer: [channels, height, width]. */
export const convOutputShape = (l: ConvLayerSpec): [number, number, number] => [
  l.outChannels,
  convOutputSide(l.height, l.kernel, l.padding, l.stride),
  convOutputSide(l.width, l.kernel, l.padding, l.stride),
];

/** A model whose weight layers' inputs can be observed: the study's Net and an nn Sequential. */
export interface Traceable {
  readonly backend: Backend;
  readonly layers: LayerSpec[];
  forwardTrace(x: Tensor, opts: ForwardOptions): { output: Tensor; layerInputs: Tensor[] };
}

/** Weight shape in PyTorch's layout: Conv2d [out, in, kh, kw], Linear [out, in]. */
export const weightShape = (l: LayerSpec): number[] =>
  l.kind === 'conv' ? [l.outChannels, l.inChannels, l.kernel, l.kernel] : [l.outDim, l.inDim];
const biasSize = (l: LayerSpec): number => (l.kind === 'conv' ? l.outChannels : l.outDim);
/** PyTorch's default init bound 1/√fan_in, for Linear and Conv2d alike. */
const fanIn = (l: LayerSpec): number => (l.kind === 'conv' ? l.inChannels * l.kernel * l.kernel : l.inDim);

/** Elements of one example's input to the layer: in (linear) or C·H·W (conv). */
export const inputSize = (l: LayerSpec): number => (l.kind === 'conv' ? l.inChannels * l.height * l.width : l.inDim);

/**
 * Per weight column (the trailing in / [in, kh, kw] part of the weight layout), the mean of
 * the inputs that column multiplies, from the mean of each input element. Linear: the input
 * means themselves. Conv: a weight w[o,c,i,j] meets input pixel (y·S+i−P, x·S+j−P) at every
 * output position (y, x), zero outside the image, so its mean input is that window's average.
 */
export function columnMeans(l: LayerSpec, inputMeans: Float32Array): Float32Array {
  if (l.kind === 'linear') return inputMeans;
  const { height: H, width: W, kernel: K, padding: P, stride: S } = l;
  const [, OH, OW] = convOutputShape(l);
  const out = new Float32Array(l.inChannels * K * K);
  for (let c = 0; c < l.inChannels; c++)
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) {
        let s = 0;
        for (let y = 0; y < OH; y++) {
          const yy = y * S + i - P;
          if (yy < 0 || yy >= H) continue;
          for (let x = 0; x < OW; x++) {
            const xx = x * S + j - P;
            if (xx >= 0 && xx < W) s += inputMeans[(c * H + yy) * W + xx];
          }
        }
        out[(c * K + i) * K + j] = s / (OH * OW);
      }
  return out;
}

/** FC pixels → hidden… → classes. */
export function fcLayers(sizes: number[]): LayerSpec[] {
  return sizes.slice(1).map((outDim, i) => ({ kind: 'linear', name: `fc${i + 1}`, inDim: sizes[i], outDim }));
}

export interface ConvSpec {
  channels: number;
  kernel: number;
}

/**
 * Same-padded stride-1 convs on images of `input` = [channels, height, width], flatten, FC
 * hidden…, then one output per class (the study's CNN: no pooling).
 */
export function cnnLayers(conv: ConvSpec[], hidden: number[], input: readonly number[], classes: number): LayerSpec[] {
  const layers: LayerSpec[] = [];
  let [channels, height, width] = input;
  conv.forEach((c, i) => {
    const l: ConvLayerSpec = {
      kind: 'conv',
      name: `conv${i + 1}`,
      inChannels: channels,
      outChannels: c.channels,
      kernel: c.kernel,
      height,
      width,
      padding: (c.kernel - 1) / 2,
      stride: 1,
    };
    layers.push(l);
    [channels, height, width] = convOutputShape(l);
  });
  const fc = fcLayers([channels * height * width, ...hidden, classes]);
  return [...layers, ...fc];
}

/** "784-1500-10", "784-conv7x7x12-…-10": input values, then each layer. */
export const describeLayers = (layers: LayerSpec[]): string =>
  [
    `${inputSize(layers[0])}`,
    ...layers.map((l) => (l.kind === 'conv' ? `conv${l.kernel}x${l.kernel}x${l.outChannels}` : `${l.outDim}`)),
  ].join('-');

/**
 * A ReLU net of conv layers then linear layers, with PyTorch's names and layouts, so a
 * state dict of the same module loads unchanged. The input is [N, pixels]; conv layers see it
 * as [N, C, H, W] and the flatten before the first linear layer is a view (C, H, W order,
 * as torch.flatten). Dropout (keep probability `keep`) follows each hidden linear layer;
 * the output is linear.
 */
export class Net {
  constructor(
    readonly layers: LayerSpec[],
    readonly params: Param[],
    readonly keep: number,
  ) {
    layers.forEach((l, i) => {
      const [w, b] = [params[2 * i], params[2 * i + 1]];
      if (w?.tensor.shape.join() !== weightShape(l).join() || b?.tensor.shape.join() !== `${biasSize(l)}`)
        throw new ShapeError(
          `${l.name}: weight ${w ? fmtShape(w.tensor.shape) : 'missing'} and bias ${b ? fmtShape(b.tensor.shape) : 'missing'}, expected ${fmtShape(weightShape(l))} and [${biasSize(l)}]`,
        );
    });
  }

  /** PyTorch's default init, U(±1/√fan_in) for weights and biases, from a seed. */
  static init(layers: LayerSpec[], keep: number, seed: number, backend: Backend = defaultBackend()): Net {
    const random = seededRandom(seed);
    const params: Param[] = [];
    for (const l of layers) {
      const bound = 1 / Math.sqrt(fanIn(l));
      const uniform = (n: number) => Float32Array.from({ length: n }, () => (2 * random() - 1) * bound);
      const shape = weightShape(l);
      params.push({
        name: `${l.name}.weight`,
        tensor: Tensor.fromArray(uniform(shape.reduce((a, b) => a * b, 1)), shape, true, backend).keep(),
      });
      params.push({
        name: `${l.name}.bias`,
        tensor: Tensor.fromArray(uniform(biasSize(l)), [biasSize(l)], true, backend).keep(),
      });
    }
    return new Net(layers, params, keep);
  }

  /** The backend its parameters live on. */
  get backend(): Backend {
    return this.params[0].tensor.backend;
  }

  get arch(): 'fc' | 'cnn' {
    return this.layers[0].kind === 'conv' ? 'cnn' : 'fc';
  }
  get weights(): Tensor[] {
    return this.params.filter((p) => p.name.endsWith('.weight')).map((p) => p.tensor);
  }

  forward(x: Tensor, opts: ForwardOptions): Tensor {
    return this.forwardTrace(x, opts).output;
  }

  /** The output and every weight layer's input (what activation-based pruning measures). */
  forwardTrace(x: Tensor, opts: ForwardOptions): { output: Tensor; layerInputs: Tensor[] } {
    const n = x.shape[0];
    const first = this.layers[0];
    let h = first.kind === 'conv' ? x.reshape([n, first.inChannels, first.height, first.width]) : x;
    const layerInputs: Tensor[] = [];
    this.layers.forEach((l, i) => {
      const [w, b] = [this.params[2 * i].tensor, this.params[2 * i + 1].tensor];
      if (l.kind === 'conv') {
        layerInputs.push(h);
        h = biasReluDropout(conv2d(h, w, l.padding, l.stride), b);
        return;
      }
      if (h.shape.length !== 2) h = h.reshape([n, h.size / n]);
      layerInputs.push(h);
      if (i + 1 === this.layers.length) {
        h = linear(h, w, b);
        return;
      }
      // Bias, ReLU and dropout in one kernel: the same bits as add → relu → dropout.
      const drop = opts.train
        ? { keep: this.keep, seed: opts.dropoutSeed ?? 0, stream: (opts.step ?? 0) * 64 + i }
        : undefined;
      h = biasReluDropout(matmul(h, w, { transB: true }), b, drop);
    });
    return { output: h, layerInputs };
  }

  /** The same layers with other parameter tensors (e.g. copies to fine-tune). */
  withParams(params: Param[]): Net {
    return new Net(this.layers, params, this.keep);
  }

  /** Same biases, other weights (e.g. pruned copies); shares the bias tensors. */
  withWeights(weights: Tensor[]): Net {
    const params = this.params.map((p, i) => (i % 2 === 0 ? { name: p.name, tensor: weights[i / 2] } : p));
    return new Net(this.layers, params, this.keep);
  }

  dispose(): void {
    for (const p of this.params) p.tensor.dispose();
  }
}
