import { describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { biasReluDropout } from '../../src/ops/bias_relu_dropout';
import { dropoutMask } from '../../src/ops/dropout_mask';
import { add, relu } from '../../src/ops/elementwise';
import { dropout } from '../../src/ops/composite';
import { sum } from '../../src/ops/reduce';
import { mul } from '../../src/ops/elementwise';
import { Tensor, backward, tidyAsync } from '../../src/tensor/tensor';
import { ConfigError, ShapeError } from '../../src/util/errors';
import { seededRandom } from '../../src/nn/random';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// Sizes that are and are not a multiple of 4: the vec4 and the scalar kernels.
const cases = [
  { what: 'linear [n, C], scalar', x: [9, 13], bias: [13] },
  { what: 'linear [n, C], vec4', x: [8, 6], bias: [6] },
  { what: 'conv maps [n, C, H, W], vec4', x: [3, 5, 4, 6], bias: [5] },
  { what: 'conv maps [n, C, H, W], scalar', x: [1, 3, 3, 3], bias: [3] },
];

/** x away from the ReLU's kink: |x| ≥ 0.2 and |bias| ≤ 0.1, so x + bias is never near 0. */
const awayFromKink = (i: number, n: number, seed: number): Float64Array => {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => (i === 0 ? (r() < 0.5 ? -1 : 1) * (0.2 + 0.8 * r()) : 0.2 * r() - 0.1));
};

describe('biasReluDropout: bias, ReLU and dropout fused', () => {
  for (const c of cases)
    for (const keep of [1, 0.7]) {
      it(`${c.what}, keep ${keep}: forward and both gradients against float64 (finite differences)`, async () => {
        const n = c.x.reduce((a, b) => a * b, 1);
        const inner = n / (c.x[0] * c.x[1]);
        // The reference reuses the GPU's dropout mask (tested against its statistics in dropout_mask.test.ts).
        const mask = await tidyAsync(() => dropoutMask(backend(), c.x, keep, 11, 4).read());
        await checkOp({
          name: `biasReluDropout ${c.what} keep ${keep}`,
          shapes: [c.x, c.bias],
          input: awayFromKink,
          gpu: (x, b) => biasReluDropout(x, b, { keep, seed: 11, stream: 4 }),
          ref: (x, b) => ({
            data: x.data.map(
              (v, i) => Math.max(v + b.data[Math.floor(i / inner) % c.x[1]], 0) * (keep < 1 ? mask[i] : 1),
            ),
            shape: c.x,
          }),
        });
      });
      it(`${c.what}, keep ${keep}: the same bits as add → relu → dropout, forward and backward`, async () => {
        const r = seededRandom(3);
        const n = c.x.reduce((a, b) => a * b, 1);
        const xs = Float32Array.from({ length: n }, () => 2 * r() - 1);
        const bs = Float32Array.from({ length: c.bias[0] }, () => 2 * r() - 1);
        const gs = Float32Array.from({ length: n }, () => 2 * r() - 1);
        const run = (fused: boolean) =>
          tidyAsync(async () => {
            const x = Tensor.fromArray(xs, c.x, true);
            const b = Tensor.fromArray(bs, c.bias, true);
            const bb = c.x.length === 2 ? b : b.reshape([c.bias[0], ...c.x.slice(2).map(() => 1)]);
            const y = fused
              ? biasReluDropout(x, b, { keep, seed: 5, stream: 2 })
              : dropout(relu(add(x, bb)), keep, 5, 2);
            backward(sum(mul(y, Tensor.fromArray(gs, c.x))));
            return { y: await y.read(), gx: await x.grad!.read(), gb: await b.grad!.read() };
          });
        const [fused, plain] = [await run(true), await run(false)];
        expect(fused.y).toEqual(plain.y);
        expect(fused.gx).toEqual(plain.gx);
        expect(fused.gb).toEqual(plain.gb);
        expect(fused.y.some((v) => v === 0) && fused.y.some((v) => v > 0)).toBe(true); // both sides of the ReLU seen
      });
    }
  it('names a bias that does not match axis 1, and a bad keep', () => {
    const x = Tensor.zeros([4, 6]);
    expect(() => biasReluDropout(x, Tensor.zeros([4]))).toThrow(ShapeError);
    expect(() => biasReluDropout(x, Tensor.zeros([4]))).toThrow(
      /bias \[4\] must be \[C\] for the C = axis-1 size of x \[4,6\]/,
    );
    expect(() => biasReluDropout(x, Tensor.zeros([6]), { keep: 0, seed: 1, stream: 1 })).toThrow(ConfigError);
    x.dispose();
  });
});
