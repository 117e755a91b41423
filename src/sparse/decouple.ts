import { IMAGE_SIDE, type LayerSpec, type Net } from '../nn/net';
import { csrFromDense, type CsrHost } from './csr';

/**
 * One layer of a decoupled net: out = A·in + bias (one row per output unit), ReLU on hidden
 * layers. A decoupled conv layer keeps its filters: while no entry is pruned it can still run
 * as the (faster) conv kernel.
 */
export interface DecoupledLayer {
  name: string;
  csr: CsrHost;
  bias: Float32Array;
  relu: boolean;
  conv?: { weight: Float32Array; shape: [number, number, number, number]; nnz: number };
}

/**
 * The exact sparse matrix of a same-padded, stride-1 conv layer on S×S maps: one row per
 * output unit (o, y, x) — each placement of filter o — with the in-image taps of w[o, :, :, :]
 * at columns (c, y+i−P, x+j−P). Rows and columns follow NCHW flattening, so A·flatten(x) is
 * flatten(conv2d(x, w)). Zero weights (pruned) leave no entry.
 */
export function decoupleConv(
  w: Float32Array,
  outChannels: number,
  inChannels: number,
  K: number,
  side = IMAGE_SIDE,
): CsrHost {
  const P = (K - 1) / 2,
    S = side,
    HW = S * S;
  const rows = outChannels * HW,
    cols = inChannels * HW;
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx: number[] = [],
    values: number[] = [];
  for (let o = 0; o < outChannels; o++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < inChannels; c++)
          for (let i = 0; i < K; i++) {
            const yy = y + i - P;
            if (yy < 0 || yy >= S) continue;
            for (let j = 0; j < K; j++) {
              const xx = x + j - P;
              const v = w[((o * inChannels + c) * K + i) * K + j];
              if (xx < 0 || xx >= S || v === 0) continue;
              colIdx.push(c * HW + yy * S + xx);
              values.push(v);
            }
          }
        rowPtr[(o * S + y) * S + x + 1] = colIdx.length;
      }
  return { rows, cols, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(values) };
}

/** Every layer of a trained net as a sparse matrix: conv layers decoupled, linear layers as CSR of their weights. */
export async function decoupleNet(net: Net): Promise<DecoupledLayer[]> {
  const data = await Promise.all(net.params.map((p) => p.tensor.read()));
  return net.layers.map((l: LayerSpec, i) => {
    const [w, b] = [data[2 * i], data[2 * i + 1]];
    const relu = i + 1 < net.layers.length;
    if (l.kind === 'conv') {
      const bias = new Float32Array(l.outChannels * IMAGE_SIDE * IMAGE_SIDE);
      for (let o = 0; o < l.outChannels; o++)
        bias.fill(b[o], o * IMAGE_SIDE * IMAGE_SIDE, (o + 1) * IMAGE_SIDE * IMAGE_SIDE);
      const csr = decoupleConv(w, l.outChannels, l.inChannels, l.kernel);
      return {
        name: l.name,
        csr,
        bias,
        relu,
        conv: { weight: w, shape: [l.outChannels, l.inChannels, l.kernel, l.kernel], nnz: csr.colIdx.length },
      };
    }
    return { name: l.name, csr: csrFromDense(w, l.outDim, l.inDim), bias: Float32Array.from(b), relu };
  });
}
