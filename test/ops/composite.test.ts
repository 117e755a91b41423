import { describe, expect, it } from 'vitest';
import { checkOp, randomArray, useGpu } from '../helpers';
import { l2Penalty, linear, marginLoss, quadraticLoss, softmaxCrossEntropy } from '../../src/ops/composite';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';
import { refBinary, refMatmul, refQuadratic, refSoftmaxCE } from '../ref/ref';
import { ShapeError } from '../../src/util/errors';

useGpu();

/** One-hot rows for the targets input (no gradient is taken through it). */
function oneHot(_i: number, n: number, seed: number, classes: number): Float64Array {
  const out = new Float64Array(n);
  const r = randomArray(n / classes, seed, 0, classes);
  r.forEach((v, b) => (out[b * classes + Math.floor(v)] = 1));
  return out;
}

describe('losses', () => {
  for (const [B, C] of [
    [1, 10],
    [7, 3],
    [250, 10],
  ]) {
    const targets = (i: number, n: number, seed: number) =>
      i === 1 ? oneHot(i, n, seed, C) : randomArray(n, seed, -2, 2);
    it(`quadratic ${B}x${C}`, () =>
      checkOp({
        name: 'quadraticLoss',
        shapes: [
          [B, C],
          [B, C],
        ],
        gpu: quadraticLoss,
        ref: refQuadratic,
        noGrad: [1],
        input: targets,
      }));
    it(`softmax-CE ${B}x${C}`, () =>
      checkOp({
        name: 'softmaxCrossEntropy',
        shapes: [
          [B, C],
          [B, C],
        ],
        gpu: softmaxCrossEntropy,
        ref: refSoftmaxCE,
        noGrad: [1],
        input: targets,
      }));
  }
  for (const [B, C] of [
    [1, 10],
    [7, 3],
    [250, 10],
  ]) {
    // Distinct logits (no tie for the runner-up, where the max has no derivative).
    const logits = (i: number, n: number, seed: number) =>
      i === 1 ? oneHot(i, n, seed, C) : randomArray(n, seed, -2, 2).map((v, k) => v + k * 1e-3);
    it(`margin (Carlini–Wagner) ${B}x${C}`, () =>
      checkOp({
        name: 'marginLoss',
        shapes: [
          [B, C],
          [B, C],
        ],
        gpu: marginLoss,
        noGrad: [1],
        input: logits,
        ref: (z, t) => {
          let s = 0;
          for (let b = 0; b < B; b++) {
            let y = 0,
              other = -Infinity;
            for (let c = 0; c < C; c++) if (t.data[b * C + c] === 1) y = c;
            for (let c = 0; c < C; c++) if (c !== y) other = Math.max(other, z.data[b * C + c]);
            s += other - z.data[b * C + y];
          }
          return { data: Float64Array.of(s), shape: [1] };
        },
      }));
  }
  it('softmax-CE is finite and exact for logits of ±1e4', async () => {
    const got = await tidyAsync(async () => {
      const z = Tensor.fromArray([1e4, -1e4, 0, -1e4, 1e4, 5e3], [2, 3], true);
      const t = Tensor.fromArray([0, 1, 0, 0, 1, 0], [2, 3]);
      const loss = softmaxCrossEntropy(z, t);
      return loss.read();
    });
    // Row 1 picks a logit 2e4 below the max: loss 2e4. Row 2 picks the max: loss log(1 + e^-5000) = 0.
    expect(got[0]).toBeCloseTo((2e4 + 0) / 2, 0);
  });
  it('rejects mismatched targets naming both shapes', () => {
    expect(() => quadraticLoss(Tensor.zeros([4, 10]), Tensor.zeros([4, 9]))).toThrow(ShapeError);
    expect(() => quadraticLoss(Tensor.zeros([4, 10]), Tensor.zeros([4, 9]))).toThrow(/\[4,10\].*\[4,9\]/);
  });
});

describe('layers', () => {
  it('linear = x·Wᵀ + b', () =>
    checkOp({
      name: 'linear',
      shapes: [[9, 17], [5, 17], [5]],
      gpu: linear,
      ref: (x, w, b) => refBinary(refMatmul(x, w, false, true), b, (p, q) => p + q),
    }));
  it('l2 penalty = λ·½Σw² over several matrices', () =>
    checkOp({
      name: 'l2Penalty',
      shapes: [[7, 13], [13]],
      gpu: (a, b) => l2Penalty([a, b], 1e-2),
      ref: (a, b) => ({
        data: Float64Array.of(0.5e-2 * [...a.data, ...b.data].reduce((s, v) => s + v * v, 0)),
        shape: [1],
      }),
    }));
});
