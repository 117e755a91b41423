import { ConfigError } from '../util/errors.js';
import type { Model } from '../nn/model.js';
import { Sequential } from '../nn/modules.js';
import { convOutputShape, type ConvLayerSpec, type LayerSpec } from '../nn/layer-spec.js';
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

/** The study's nets: ReLU after every weight layer but the last. A Sequential: its own modules between weight layers. */
function afterOps(model: Model): AfterOp[][] {
  const count = model.layers.length;
  if (!(model instanceof Sequential))
    return Array.from({ length: count }, (_, i): AfterOp[] => (i + 1 < count ? [{ kind: 'relu' }] : []));
  const out: AfterOp[][] = [];
  model.leaves().forEach(({ module: m, input, name }) => {
    const j = m.toJson();
    if (j.type === 'Linear' || j.type === 'Conv2d') out.push([]);
    else if (j.type === 'Flatten' || j.type === 'Dropout') return;
    else if (!out.length)
      throw new ConfigError(
        `decouple: ${j.type} (module ${name}) comes before any weight layer; decoupling starts at one`,
      );
    else if (j.type === 'ReLU') out[out.length - 1].push({ kind: 'relu' });
    else if (j.type === 'MaxPool2d' || j.type === 'AvgPool2d')
      out[out.length - 1].push({
        kind: 'pool',
        type: j.type,
        kernel: j.kernel,
        stride: j.stride ?? j.kernel,
        padding: j.padding ?? 0,
        input,
      });
  });
  return out;
}

/**
 * Every weight layer of a trained model as a sparse matrix: conv layers decoupled (any stride
 * and padding), linear layers as CSR of their weights; ReLU and pooling between them kept.
 */
export async function decoupleNet(model: Model): Promise<DecoupledLayer[]> {
  const data = await Promise.all(model.params.map((p) => p.tensor.read()));
  const after = afterOps(model);
  return model.layers.map((l: LayerSpec, i) => {
    const [w, b] = [data[2 * i], data[2 * i + 1]];
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
  });
}
