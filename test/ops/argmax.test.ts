import { describe, expect, it } from 'vitest';
import { randomArray, useGpu } from '../helpers';
import { argmax } from '../../src/ops/argmax';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';

useGpu();

describe('argmax', () => {
  for (const [rows, cols] of [
    [1, 1],
    [7, 13],
    [10000, 10],
    [3, 257],
  ]) {
    it(`${rows}x${cols} matches the CPU, first index on ties`, async () => {
      const x = randomArray(rows * cols, rows + cols).map((v) => Math.round(v * 4) / 4); // ties happen
      const got = await tidyAsync(() => argmax(Tensor.fromArray(Float32Array.from(x), [rows, cols])).read());
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
        if (got[r] !== best) expect.fail(`row ${r}: got ${got[r]}, want ${best}`);
      }
    });
  }
});
