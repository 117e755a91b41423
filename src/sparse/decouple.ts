import { ConfigError } from '../util/errors.js';
import { Sequential } from '../nn/modules.js';
import type { Module } from '../nn/module.js';
import { Conv2d, Flatten, Linear, Pool2d, ReLU } from '../nn/layers.js';
import { traceModule } from '../nn/trace.js';
import type { WeightLayer } from '../nn/weight-layers.js';
import { numel } from '../tensor/shape.js';
import { convOutputShape, type ConvLayerSpec } from '../nn/layer-spec.js';
import { csrFromDense, type CsrHost } from '../tensor/csr.js';

/**
 * What runs between one weight layer's output (bias added) and the next weight layer, in
 * order: ReLU, or a pooling layer on maps of `input` = [channels, height, width]. (Flatten is
 * the decoupled layout itself; dropout is off at evaluation.)
 */
export type AfterOp =
  | { kind: 'relu' }
  | { kind: 'pool'; type: 'MaxPool2d' | 'AvgPool2d'; kernel: number; stride: number; padding: number; input: number[] };

/**
 * One layer of a decoupled net: out = A·in + bias (one row per output unit), ReLU on hidden
 * layers. A decoupled conv layer keeps its filters: while no entry is pruned it can still run
 * as the (faster) conv kernel.
 */
export interface DecoupledLayer {
  name: string;
  csr: CsrHost;
  bias: Float32Array;
  /** Applied to the layer's output, in order. */
  after: AfterOp[];
  conv?: {
    weight: Float32Array;
    shape: [number, number, number, number];
    nnz: number;
    /** Input maps, zero padding and stride, as the conv kernel runs them. */
    height: number;
    width: number;
    padding: number;
    stride: number;
  };
}

/** Where a conv's filters sit: its input maps, padding and stride. */
export type ConvGeometry = Pick<ConvLayerSpec, 'height' | 'width' | 'padding' | 'stride'>;

/**
 * The exact sparse matrix of a conv layer: one row per output unit (o, y, x) — each placement
 * of filter o — with the in-image taps of w[o, :, :, :] at columns (c, y·S+i−P, x·S+j−P). Rows
 * and columns follow NCHW flattening, so A·flatten(x) is flatten(conv2d(x, w, P, S)). Zero
 * weights (pruned) leave no entry.
 */
export function decoupleConv(
  w: Float32Array,
  outChannels: number,
  inChannels: number,
  K: number,
  g: ConvGeometry,
): CsrHost {
  const { height: H, width: W, padding: P, stride: S } = g;
  const [, OH, OW] = convOutputShape({ ...g, kernel: K, outChannels } as ConvLayerSpec);
  const rows = outChannels * OH * OW,
    cols = inChannels * H * W;
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx: number[] = [],
    values: number[] = [];
  for (let o = 0; o < outChannels; o++)
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++) {
        for (let c = 0; c < inChannels; c++)
          for (let i = 0; i < K; i++) {
            const yy = y * S + i - P;
            if (yy < 0 || yy >= H) continue;
            for (let j = 0; j < K; j++) {
              const xx = x * S + j - P;
              const v = w[((o * inChannels + c) * K + i) * K + j];
              if (xx < 0 || xx >= W || v === 0) continue;
              colIdx.push((c * H + yy) * W + xx);
              values.push(v);
            }
          }
        rowPtr[(o * OH + y) * OW + x + 1] = colIdx.length;
      }
  return { rows, cols, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(values) };
}

/** Modules a chain is read in whole: weight layers, ReLU, pooling, Flatten. */
const whole = (m: Module) =>
  m instanceof Linear || m instanceof Conv2d || m instanceof ReLU || m instanceof Pool2d || m instanceof Flatten;

/**
 * Each weight layer of any Module and what runs after it, read from its own forward (a trace): the
 * model must be a chain (each op taking the one before it) of weight layers, ReLU, pooling and
 * reshapes. Anything else is refused in one line naming it: decoupling applies to chains.
 */
function chainOf(model: Module, input: number[]): { layers: WeightLayer[]; after: AfterOp[][] } {
  const graph = traceModule(model, input, { atomic: whole });
  try {
    const out: AfterOp[][] = [];
    const layers: WeightLayer[] = [];
    for (const n of graph.nodes.slice(1)) {
      const prev = n.id - 1;
      if (n.inputs.length !== 1 || n.inputs[0] !== prev)
        throw new ConfigError(
          `decouple: ${n.name} (${n.op}) takes ${n.inputs.length === 1 ? `node ${n.inputs[0]}, not the op before it` : `${n.inputs.length} traced inputs`}: the model is not a chain of layers, and decoupling applies to chains`,
        );
      const m = n.module;
      if (m instanceof Linear || m instanceof Conv2d) {
        layers.push({ name: n.name, module: m, spec: m.spec(n.name, graph.nodes[prev].shape) });
        out.push([]);
        continue;
      }
      if (m instanceof Flatten || n.op === 'reshape' || n.op === 'detach') continue;
      if (!out.length)
        throw new ConfigError(`decouple: ${n.name} (${n.op}) comes before any weight layer; decoupling starts at one`);
      const shape = graph.nodes[prev].shape;
      if (m instanceof ReLU || n.op === 'relu') out[out.length - 1].push({ kind: 'relu' });
      else if (m instanceof Pool2d)
        out[out.length - 1].push({
          kind: 'pool',
          type: m.type,
          kernel: m.kernel,
          stride: m.stride,
          padding: m.padding,
          input: shape,
        });
      else
        throw new ConfigError(
          `decouple: ${n.name} (${n.op}) has no decoupled form; a chain of Linear, Conv2d, ReLU, pooling and reshapes decouples`,
        );
    }
    return { layers, after: out };
  } finally {
    graph.dispose();
  }
}

/**
 * Every weight layer of a trained model as a sparse matrix: conv layers decoupled (any stride
 * and padding), linear layers as CSR of their weights; ReLU and pooling between them kept.
 */
/**
 * Every weight layer of a trained model (any Module whose forward is a chain, see chainOf) as a
 * sparse matrix: conv layers decoupled (any stride and padding), linear layers as CSR of their
 * weights; ReLU and pooling between them kept. `input` is one example's shape as the model
 * takes it (default: a Sequential's own input shape, flattened).
 */
export async function decoupleNet(model: Module, input?: number[]): Promise<DecoupledLayer[]> {
  const shape = input ?? (model instanceof Sequential && model.inputShape ? [numel(model.inputShape)] : null);
  if (!shape) throw new ConfigError('decouple: give the shape of one example the model takes');
  const { layers, after } = chainOf(model, shape);
  return Promise.all(
    layers.map(async ({ module, spec: l }, i): Promise<DecoupledLayer> => {
      const [w, b] = [await module.weight!.read(), await module.bias!.read()];
      if (l.kind === 'conv') {
        const [, OH, OW] = convOutputShape(l),
          plane = OH * OW;
        const bias = new Float32Array(l.outChannels * plane);
        for (let o = 0; o < l.outChannels; o++) bias.fill(b[o], o * plane, (o + 1) * plane);
        const { height, width, padding, stride } = l;
        const csr = decoupleConv(w, l.outChannels, l.inChannels, l.kernel, l);
        return {
          name: l.name,
          csr,
          bias,
          after: after[i],
          conv: {
            weight: w,
            shape: [l.outChannels, l.inChannels, l.kernel, l.kernel],
            nnz: csr.colIdx.length,
            height,
            width,
            padding,
            stride,
          },
        };
      }
      return { name: l.name, csr: csrFromDense(w, l.outDim, l.inDim), bias: Float32Array.from(b), after: after[i] };
    }),
  );
}
