import { describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { dropoutMask } from '../../src/ops/dropout_mask';
import { dropout } from '../../src/ops/composite';
import { tidyAsync } from '../../src/tensor/tensor';
import { ConfigError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

describe('dropout', () => {
  for (const keep of [0.7, 0.5, 0.1]) {
    it(`keeps a share of ${keep} within 4σ, values exactly 0 or 1/keep`, async () => {
      const n = 250 * 1500;
      const mask = await tidyAsync(() => dropoutMask(backend(), [250, 1500], keep, 42, 7).read());
      let kept = 0;
      for (const v of mask) {
        if (v !== 0 && Math.abs(v - 1 / keep) > 1e-6) expect.fail(`mask value ${v} is neither 0 nor 1/keep`);
        if (v !== 0) kept++;
      }
      const sigma = Math.sqrt(n * keep * (1 - keep));
      expect(Math.abs(kept - n * keep)).toBeLessThan(4 * sigma);
    });
  }
  it('same seed and stream → same mask; another stream → another mask', async () => {
    const [a, b, c] = await tidyAsync(() =>
      Promise.all([
        dropoutMask(backend(), [1001], 0.7, 5, 1).read(),
        dropoutMask(backend(), [1001], 0.7, 5, 1).read(),
        dropoutMask(backend(), [1001], 0.7, 5, 2).read(),
      ]),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
  it('backward passes the gradient through the same mask', async () => {
    const mask = await tidyAsync(() => dropoutMask(backend(), [7, 13], 0.7, 9, 3).read());
    await checkOp({
      name: 'dropout',
      shapes: [[7, 13]],
      gpu: (x) => dropout(x, 0.7, 9, 3),
      // The reference reuses the GPU's mask (checked above): what is tested is x·mask and its gradient.
      ref: (x) => ({ data: x.data.map((v, i) => v * mask[i]), shape: x.shape }),
    });
  });
  it('rejects keep outside (0, 1]', () => {
    expect(() => dropoutMask(backend(), [4], 0, 1, 1)).toThrow(ConfigError);
    expect(() => dropoutMask(backend(), [4], 1.5, 1, 1)).toThrow(/keep probability must be in \(0, 1\], got 1.5/);
  });
});
