import { describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { conv2d } from '../../src/ops/conv2d';
import { Tensor } from '../../src/tensor/tensor';
import { refConv2d } from '../ref/ref';
import { ShapeError } from '../../src/util/errors';
import { subgroupKernelsFit, type KernelPath } from '../../src/gpu/kernel-path';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// [N, C, H, W, O, K]: 1 channel, 1×1 and 7×7 kernels, batch 1, odd sizes.
const CASES: [number, number, number, number, number, number][] = [
  [1, 1, 5, 5, 1, 1],
  [2, 1, 7, 9, 3, 3],
  [1, 3, 8, 6, 2, 5],
  [2, 2, 9, 9, 4, 7],
  [3, 4, 5, 7, 5, 3],
  [2, 6, 28, 28, 15, 5], // a study layer (fewer channels): 15 output channels leave a partial register block
  [2, 9, 6, 11, 17, 3], // subgroup kernel: 8-channel blocks with a partial one, rows of 11 (8-pixel tiles, one partial)
  [1, 5, 14, 14, 8, 3], // subgroup kernel: 7-pixel tiles, one full channel block
];

// Both kernel families where the adapter has subgroups; elsewhere the subgroup run checks
// that forcing it fails clearly.
describe.each(['plain', 'subgroup'] as KernelPath[])('conv2d, %s kernels', (path) => {
  for (const padding of ['same', 'valid'] as const)
    for (const [N, C, H, W, O, K] of CASES) {
      if (padding === 'valid' && (K > H || K > W)) continue;
      it(`${padding} x[${N},${C},${H},${W}] w[${O},${C},${K},${K}]`, () => {
        backend().kernels.pin({ path: path });
        if (path === 'subgroup' && !subgroupKernelsFit(backend())) {
          expect(() => conv2d(Tensor.zeros([N, C, H, W]), Tensor.zeros([O, C, K, K]), padding)).toThrow(
            /subgroups of >= 8 lanes/,
          );
          return;
        }
        return checkOp({
          name: `conv2d ${padding}`,
          shapes: [
            [N, C, H, W],
            [O, C, K, K],
          ],
          gpu: (x, w) => conv2d(x, w, padding),
          ref: (x, w) => refConv2d(x, w, padding === 'same' ? (K - 1) / 2 : 0),
          atol: 1e-5 * C * K * K,
          gradAtol: 2e-4,
          gradRtol: 2e-3,
        });
      });
    }
});

// [N, C, H, W, O, K, padding, stride]: strides 2 and 3, padding as pixels, sizes the stride does not divide.
const STRIDED: [number, number, number, number, number, number, number, number][] = [
  [2, 1, 7, 9, 3, 3, 1, 2],
  [1, 3, 8, 8, 5, 5, 2, 2],
  [2, 2, 9, 10, 4, 3, 0, 3],
  [1, 4, 11, 7, 9, 1, 0, 2],
  [2, 2, 6, 6, 3, 4, 1, 2], // even kernel, padding 1
  [1, 3, 28, 28, 8, 3, 1, 2], // an MNIST-sized downsampling layer
];

describe('conv2d with stride and pixel padding', () => {
  for (const [N, C, H, W, O, K, P, S] of STRIDED)
    it(`x[${N},${C},${H},${W}] w[${O},${C},${K},${K}] padding ${P} stride ${S}`, () => {
      backend().kernels.pin({ path: null });
      return checkOp({
        name: `conv2d p${P} s${S}`,
        shapes: [
          [N, C, H, W],
          [O, C, K, K],
        ],
        gpu: (x, w) => conv2d(x, w, P, S),
        ref: (x, w) => refConv2d(x, w, P, S),
        atol: 1e-5 * C * K * K,
        gradAtol: 2e-4,
        gradRtol: 2e-3,
      });
    });
  it('gives PyTorch output sizes: ⌊(H + 2P − K)/S⌋ + 1', () => {
    const y = conv2d(Tensor.zeros([1, 1, 28, 28]), Tensor.zeros([4, 1, 3, 3]), 1, 2);
    expect(y.shape).toEqual([1, 4, 14, 14]);
    expect(conv2d(Tensor.zeros([1, 1, 9, 10]), Tensor.zeros([1, 1, 3, 3]), 0, 3).shape).toEqual([1, 1, 3, 3]);
  });
});

describe('conv2d errors', () => {
  it('rejects mismatched channels, even kernels with same padding, and kernels larger than the input', () => {
    expect(() => conv2d(Tensor.zeros([1, 2, 5, 5]), Tensor.zeros([3, 1, 3, 3]))).toThrow(
      /input has 2 channels, weights \[3,1,3,3\] expect 1/,
    );
    expect(() => conv2d(Tensor.zeros([1, 1, 5, 5]), Tensor.zeros([3, 1, 2, 2]))).toThrow(ShapeError);
    expect(() => conv2d(Tensor.zeros([1, 1, 3, 3]), Tensor.zeros([1, 1, 5, 5]), 'valid')).toThrow(
      /larger than the 3x3 input/,
    );
    expect(() => conv2d(Tensor.zeros([1, 1, 8, 8]), Tensor.zeros([1, 1, 3, 3]), 'same', 2)).toThrow(/needs stride 1/);
    expect(() => conv2d(Tensor.zeros([1, 1, 8, 8]), Tensor.zeros([1, 1, 3, 3]), 1, 0)).toThrow(/stride 0/);
    expect(() => conv2d(Tensor.zeros([1, 1, 8, 8]), Tensor.zeros([1, 1, 3, 3]), -1)).toThrow(/padding -1/);
  });
});
