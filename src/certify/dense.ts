import { ConfigError } from '../gpu/errors.js';
import { Conv2d, Dropout, Flatten, Linear, Pool2d, ReLU } from '../nn/layers.js';
import type { Model } from '../nn/model.js';
import type { RefStep } from './reference.js';

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The model as dense float64 matrices for the CPU reference (reference.ts): a convolution is
 * written out entry by entry from its own indexing (not from the GPU's), average pooling as
 * PyTorch's count_include_pad=True. For small models: a matrix holds every (output, input) pair.
 */
export async function denseSteps(model: Model): Promise<RefStep[]> {
  const steps: RefStep[] = [];
  for (const { module: m, input, name } of model.leaves()) {
    if (m instanceof Dropout || m instanceof Flatten) continue;
    if (m instanceof ReLU) {
      steps.push({ kind: 'relu' });
      continue;
    }
    if (m instanceof Linear) {
      const W = Float64Array.from(await m.weight!.read());
      steps.push({ kind: 'affine', W, b: Float64Array.from(await m.bias!.read()), out: m.out, in: W.length / m.out });
      continue;
    }
    const [C, H, Wd] = input;
    const [O, OH, OW] = m.outputShape(input);
    const out = O * OH * OW,
      inn = numel(input);
    if (out * inn > 5e7) throw new ConfigError(`certify reference: layer ${name} is too large to write out densely`);
    const W = new Float64Array(out * inn),
      b = new Float64Array(out);
    if (m instanceof Conv2d) {
      const w = await m.weight!.read(),
        bias = await m.bias!.read();
      const K = m.kernel,
        P = m.pad,
        S = m.stride;
      for (let o = 0; o < O; o++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            const row = (o * OH + oy) * OW + ox;
            b[row] = bias[o];
            for (let c = 0; c < C; c++)
              for (let ky = 0; ky < K; ky++)
                for (let kx = 0; kx < K; kx++) {
                  const iy = oy * S - P + ky,
                    ix = ox * S - P + kx;
                  if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
                  W[row * inn + (c * H + iy) * Wd + ix] += w[((o * C + c) * K + ky) * K + kx];
                }
          }
    } else if (m instanceof Pool2d && m.type === 'AvgPool2d') {
      const K = m.kernel;
      for (let c = 0; c < O; c++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++)
            for (let ky = 0; ky < K; ky++)
              for (let kx = 0; kx < K; kx++) {
                const iy = oy * m.stride - m.padding + ky,
                  ix = ox * m.stride - m.padding + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
                W[((c * OH + oy) * OW + ox) * inn + (c * H + iy) * Wd + ix] += 1 / (K * K);
              }
    } else throw new ConfigError(`certify reference: layer ${name} (${m.describeSelf()}) is not supported`);
    steps.push({ kind: 'affine', W, b, out, in: inn });
  }
  return steps;
}
