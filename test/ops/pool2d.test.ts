import { describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { refPool } from '../ref/ref';
import { avgPool2d, maxPool2d, pooledSize } from '../../src/ops/pool2d';
import { Tensor, tidy } from '../../src/tensor/tensor';

useGpu();

// [N, C, H, W, kernel, stride, padding]: LeNet's 2×2/2, overlapping 3×3/2 with padding 1,
// odd sides that leave a remainder, stride 1, and a window as big as the input.
const CASES: [number, number, number, number, number, number, number][] = [
  [2, 3, 28, 28, 2, 2, 0],
  [1, 4, 13, 11, 3, 2, 1],
  [2, 2, 7, 9, 3, 1, 0],
  [1, 3, 10, 10, 5, 3, 2],
  [3, 1, 6, 6, 6, 6, 0],
  [1, 2, 5, 8, 2, 1, 1],
];

describe.each([
  ['max', true],
  ['avg', false],
] as const)('%s pooling', (kind, isMax) => {
  for (const [N, C, H, W, K, S, P] of CASES)
    it(`x[${N},${C},${H},${W}] kernel ${K} stride ${S} padding ${P}`, async () => {
      await checkOp({
        name: `${kind}Pool2d`,
        shapes: [[N, C, H, W]],
        gpu: (x) => (isMax ? maxPool2d : avgPool2d)(x, { kernel: K, stride: S, padding: P }),
        ref: (x) => refPool(x, isMax, K, S, P),
        rtol: 1e-6,
        atol: 1e-6,
      });
    });
});

describe('pooling edge cases', () => {
  it('max: ties go to the first maximum in the window, so its gradient goes there alone', async () => {
    const x = Tensor.fromArray([5, 5, 3, 7, 5, 1, 7, 2], [1, 1, 2, 4], true); // windows: 5,5 / 5,1 and 3,7 / 7,2
    const y = maxPool2d(x, { kernel: 2 });
    expect(Array.from(await y.read())).toEqual([5, 7]);
    const { backward } = await import('../../src/tensor/tensor');
    backward(y, Tensor.fromArray([10, 20], [1, 1, 1, 2]));
    expect(Array.from(await x.grad!.read())).toEqual([10, 0, 0, 20, 0, 0, 0, 0]);
  });
  it('output sizes follow PyTorch (floor mode), and bad settings name the problem', () => {
    expect(pooledSize(28, 2, 2, 0)).toBe(14);
    expect(pooledSize(13, 3, 2, 1)).toBe(7);
    tidy(() => {
      const x = Tensor.zeros([1, 1, 4, 4]);
      expect(() => maxPool2d(x, { kernel: 5 })).toThrow(
        /maxPool2d: a 5x5 window \(padding 0\) does not fit the 4x4 input/,
      );
      expect(() => avgPool2d(x, { kernel: 2, padding: 2 })).toThrow(
        /avgPool2d: padding 2 is more than half the kernel 2/,
      );
      expect(() => maxPool2d(x, { kernel: 0 })).toThrow(/kernel and stride must be integers ≥ 1/);
      expect(() => maxPool2d(Tensor.zeros([4, 4]), { kernel: 2 })).toThrow(/expects x \[N,C,H,W\], got \[4,4\]/);
    });
  });
});
