import { afterAll, describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { forceMatmulKernel, matmul, type MatmulKernel } from '../../src/ops/matmul';
import { gpu } from '../../src/gpu/device';
import { Tensor } from '../../src/tensor/tensor';
import { refMatmul } from '../ref/ref';

useGpu();
afterAll(() => forceMatmulKernel(null));

// [M, K, N]: odd sizes, 1s, and sizes that are not multiples of either kernel's tile
// (plain: 64×32, subgroup: 16 × 4·WG).
const SIZES: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [65, 17, 129], [3, 257, 2], [130, 70, 66], [33, 9, 257]];
const KERNELS: MatmulKernel[] = ['plain', 'subgroup'];

const subgroupsUsable = () => gpu().hasSubgroups && gpu().subgroupSizes.min >= 8;

describe.each(KERNELS)('matmul, %s kernel', (kernel) => {
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const [M, K, N] of SIZES) {
        it(`M=${M} K=${K} N=${N} transA=${transA} transB=${transB}`, async () => {
          if (kernel === 'subgroup' && !subgroupsUsable()) {
            // This adapter cannot run it: forcing it must fail with a clear error, not run wrong.
            forceMatmulKernel(kernel);
            const x = Tensor.zeros([2, 2]);
            expect(() => matmul(x, x)).toThrow(/subgroups of >= 8 lanes/);
            x.dispose();
            return;
          }
          forceMatmulKernel(kernel);
          await checkOp({
            name: `matmul (${kernel})`,
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
