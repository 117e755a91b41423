import type { Tensor } from '../tensor/tensor.js';
import { convOutputSide } from '../ops/conv2d.js';
import type { Backend } from '../gpu/backend.js';

export interface Param {
  name: string;
  tensor: Tensor;
}

/** One description of what a forward pass takes: the Module's. */
export type { ForwardOptions } from './module.js';
import type { ForwardOptions } from './module.js';

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

/** A model whose weight layers' inputs can be observed (a Sequential). */
export interface Traceable {
  readonly backend: Backend;
  readonly layers: LayerSpec[];
  forwardTrace(x: Tensor, opts: ForwardOptions): { output: Tensor; layerInputs: Tensor[] };
}

/** Weight shape in PyTorch's layout: Conv2d [out, in, kh, kw], Linear [out, in]. */
export const weightShape = (l: LayerSpec): number[] =>
  l.kind === 'conv' ? [l.outChannels, l.inChannels, l.kernel, l.kernel] : [l.outDim, l.inDim];

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
