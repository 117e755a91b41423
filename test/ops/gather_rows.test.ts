import { describe, expect, it } from 'vitest';
import { randomArray, rng, useGpu } from '../helpers';
import { gatherRows } from '../../src/ops/gather_rows';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';

useGpu();

describe('gatherRows', () => {
  for (const shape of [
    [1, 1],
    [7, 13],
    [300, 784],
    [40, 1, 28, 28],
    [9, 3, 5, 2],
  ]) {
    it(`rows of ${shape.join('x')}, with repeats, are copied bit for bit`, async () => {
      const N = shape[0];
      const P = shape.slice(1).reduce((a, b) => a * b, 1);
      const src = Float32Array.from(randomArray(N * P, N + P, -3, 3));
      const r = rng(N * 7 + P);
      const rows = Array.from({ length: 2 * N + 3 }, () => Math.floor(r() * N));
      rows[0] = N - 1;
      const got = await tidyAsync(() => gatherRows(Tensor.fromArray(src, shape), rows).read());
      expect(got.length).toBe(rows.length * P);
      for (let b = 0; b < rows.length; b++)
        for (let j = 0; j < P; j++)
          if (!Object.is(got[b * P + j], src[rows[b] * P + j]))
            expect.fail(`[${b}, ${j}]: got ${got[b * P + j]}, want row ${rows[b]}'s ${src[rows[b] * P + j]}`);
    });
  }

  it('keeps the trailing shape', async () => {
    const out = await tidyAsync(async () => gatherRows(Tensor.zeros([5, 2, 3, 4]), [4, 0]).shape);
    expect(out).toEqual([2, 2, 3, 4]);
  });

  it('a tensor of indices outside the source gives NaN rows, the others stay right', async () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    const got = await tidyAsync(() =>
      gatherRows(Tensor.fromArray(src, [4, 3]), Tensor.fromArray([2, 4, -1, 1], [4])).read(),
    );
    expect(Array.from(got.subarray(0, 3))).toEqual([6, 7, 8]);
    expect(Array.from(got.subarray(3, 9)).every(Number.isNaN)).toBe(true);
    expect(Array.from(got.subarray(9, 12))).toEqual([3, 4, 5]);
  });

  it('refuses bad host indices and a source that wants a gradient, naming the problem', async () => {
    await tidyAsync(async () => {
      const src = Tensor.zeros([4, 3]);
      expect(() => gatherRows(src, [0, 4])).toThrow(/index 1 is 4, outside the source's 4 rows/);
      expect(() => gatherRows(src, [1.5])).toThrow(/index 0 is 1.5/);
      expect(() => gatherRows(src, Tensor.zeros([2, 1]))).toThrow(/indices must be \[B\], got/);
      expect(() => gatherRows(Tensor.zeros([4, 3], true), [0])).toThrow(/requires a gradient/);
    });
  });
});
