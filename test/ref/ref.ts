import type { RefTensor } from '../helpers';
import { numel, stridesOf, type Shape } from '../../src/tensor/shape';

/** Plain float64 CPU references: the definitions the kernels are checked against. */

export function refMatmul(a: RefTensor, b: RefTensor, transA = false, transB = false): RefTensor {
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const N = transB ? b.shape[0] : b.shape[1];
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++)
        s += (transA ? a.data[k * M + m] : a.data[m * K + k]) * (transB ? b.data[n * K + k] : b.data[k * N + n]);
      out[m * N + n] = s;
    }
  return { data: out, shape: [M, N] };
}

export function refUnary(x: RefTensor, f: (v: number) => number): RefTensor {
  return { data: x.data.map(f), shape: x.shape };
}

export function refBinary(a: RefTensor, b: RefTensor, f: (p: number, q: number) => number): RefTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const shape = Array.from({ length: rank }, (_, i) =>
    Math.max(a.shape[a.shape.length - rank + i] ?? 1, b.shape[b.shape.length - rank + i] ?? 1),
  );
  const out = new Float64Array(numel(shape));
  const os = stridesOf(shape);
  const idx = (s: Shape, flat: number): number => {
    const st = stridesOf(s);
    let off = 0;
    for (let d = 0; d < rank; d++) {
      const j = d - (rank - s.length);
      const c = Math.floor(flat / os[d]) % shape[d];
      if (j >= 0 && s[j] !== 1) off += c * st[j];
    }
    return off;
  };
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[idx(a.shape, i)], b.data[idx(b.shape, i)]);
  return { data: out, shape };
}

/** Sum (or max) over one axis with keepdims. */
export function refReduce(x: RefTensor, axis: number, isMax = false, scale = 1): RefTensor {
  const outer = numel(x.shape.slice(0, axis));
  const R = x.shape[axis];
  const inner = numel(x.shape.slice(axis + 1));
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let acc = isMax ? -Infinity : 0;
      for (let r = 0; r < R; r++) {
        const v = x.data[(o * R + r) * inner + i];
        acc = isMax ? Math.max(acc, v) : acc + v;
      }
      out[o * inner + i] = acc * scale;
    }
  return { data: out, shape: x.shape.map((d, i) => (i === axis ? 1 : d)) };
}

export function refSoftmaxCE(z: RefTensor, t: RefTensor): RefTensor {
  const [B, C] = z.shape;
  let loss = 0;
  for (let b = 0; b < B; b++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z.data[b * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z.data[b * C + c] - m);
    const lse = Math.log(s) + m;
    for (let c = 0; c < C; c++) loss += t.data[b * C + c] * (lse - z.data[b * C + c]);
  }
  return { data: Float64Array.of(loss / B), shape: [1] };
}

export function refQuadratic(y: RefTensor, t: RefTensor): RefTensor {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += (y.data[i] - t.data[i]) ** 2;
  return { data: Float64Array.of(s / y.shape[0]), shape: [1] };
}

/** Float64 forward of an FC ReLU net with weights [out, in] (PyTorch layout). */
export function refFcForward(
  x: RefTensor,
  layers: { w: Float64Array; b: Float64Array; out: number; in: number }[],
): RefTensor {
  let h = x.data;
  const rows = x.shape[0];
  layers.forEach((L, li) => {
    const next = new Float64Array(rows * L.out);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < L.out; o++) {
        let s = L.b[o];
        for (let i = 0; i < L.in; i++) s += h[r * L.in + i] * L.w[o * L.in + i];
        next[r * L.out + o] = li + 1 < layers.length ? Math.max(s, 0) : s;
      }
    h = next;
  });
  return { data: h, shape: [rows, layers[layers.length - 1].out] };
}

/** Direct float64 convolution (cross-correlation), NCHW, stride 1, zero padding p. */
export function refConv2d(x: RefTensor, w: RefTensor, p: number, stride = 1): RefTensor {
  const [N, C, H, W] = x.shape;
  const [O, , KH, KW] = w.shape;
  const OH = Math.floor((H + 2 * p - KH) / stride) + 1,
    OW = Math.floor((W + 2 * p - KW) / stride) + 1;
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let y = 0; y < OH; y++)
        for (let xx = 0; xx < OW; xx++) {
          let s = 0;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const iy = y * stride + i - p,
                  ix = xx * stride + j - p;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                  s += w.data[((o * C + c) * KH + i) * KW + j] * x.data[((n * C + c) * H + iy) * W + ix];
              }
          out[((n * O + o) * OH + y) * OW + xx] = s;
        }
  return { data: out, shape: [N, O, OH, OW] };
}

/** float64 pooling as torch.nn.MaxPool2d / AvgPool2d (count_include_pad) define it. */
export function refPool(x: RefTensor, isMax: boolean, K: number, S: number, P: number): RefTensor {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * P - K) / S) + 1,
    OW = Math.floor((W + 2 * P - K) / S) + 1;
  const out = new Float64Array(N * C * OH * OW);
  for (let pl = 0; pl < N * C; pl++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity,
          sum = 0;
        for (let kh = 0; kh < K; kh++)
          for (let kw = 0; kw < K; kw++) {
            const h = oh * S - P + kh,
              w = ow * S - P + kw;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            const v = x.data[pl * H * W + h * W + w];
            best = Math.max(best, v);
            sum += v;
          }
        out[pl * OH * OW + oh * OW + ow] = isMax ? best : sum / (K * K);
      }
  return { data: out, shape: [N, C, OH, OW] };
}
