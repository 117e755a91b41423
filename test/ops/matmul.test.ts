import { afterAll, describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { matmul } from '../../src/ops/matmul';
import { forceKernelPath, subgroupKernelsFit, type KernelPath } from '../../src/gpu/kernel-path';
import { Tensor } from '../../src/tensor/tensor';
import { refMatmul } from '../ref/ref';

useGpu();
afterAll(() => forceKernelPath(null));

// [M, K, N]: odd sizes, 1s, and sizes that are not multiples of either kernel's tile
// (plain: 64×32, subgroup: 16 × 4·WG).
const SIZES: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [65, 17, 129], [3, 257, 2], [130, 70, 66], [33, 9, 257]];
const KERNELS: KernelPath[] = ['plain', 'subgroup'];

describe.each(KERNELS)('matmul, %s kernel', (kernel) => {
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const [M, K, N] of SIZES) {
        it(`M=${M} K=${K} N=${N} transA=${transA} transB=${transB}`, async () => {
          if (kernel === 'subgroup' && !subgroupKernelsFit()) {
            // This adapter cannot run it: forcing it must fail with a clear error, not run wrong.
            forceKernelPath(kernel);
            const x = Tensor.zeros([2, 2]);
            expect(() => matmul(x, x)).toThrow(/subgroups of >= 8 lanes/);
            x.dispose();
            return;
          }
          forceKernelPath(kernel);
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
