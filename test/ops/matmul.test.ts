import { describe, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { matmul } from '../../src/ops/matmul';
import { refMatmul } from '../ref/ref';

useGpu();

// [M, K, N]: odd sizes, 1s, and sizes that are not multiples of the 64×64×16 tile.
const SIZES: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [65, 17, 129], [3, 257, 2], [130, 70, 66]];

describe('matmul', () => {
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const [M, K, N] of SIZES) {
        it(`M=${M} K=${K} N=${N} transA=${transA} transB=${transB}`, async () => {
          await checkOp({
            name: 'matmul',
            shapes: [transA ? [K, M] : [M, K], transB ? [N, K] : [K, N]],
            gpu: (a, b) => matmul(a, b, { transA, transB }),
            ref: (a, b) => refMatmul(a, b, transA, transB),
            rtol: 1e-4,
            atol: 1e-5 * Math.sqrt(K),
            gradAtol: 1e-3,
          });
        });
      }
});
