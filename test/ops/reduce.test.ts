import { describe, expect, it } from 'vitest';
import { checkOp, useGpu } from '../helpers';
import { max, mean, sum } from '../../src/ops/reduce';
import { Tensor } from '../../src/tensor/tensor';
import { refReduce } from '../ref/ref';
import { ShapeError } from '../../src/gpu/errors';

useGpu();

describe('reduce', () => {
  for (const shape of [[1], [7, 13], [250, 10], [3, 5, 7], [100003]]) {
    it(`sum all ${shape}`, () => checkOp({ name: 'sum', shapes: [shape], gpu: (x) => sum(x), ref: (x) => ({ data: Float64Array.of(x.data.reduce((p, v) => p + v, 0)), shape: [1] }), atol: 1e-4 }));
    for (let axis = 0; axis < shape.length; axis++) {
      it(`sum axis ${axis} ${shape}`, () => checkOp({ name: 'sum', shapes: [shape], gpu: (x) => sum(x, axis), ref: (x) => refReduce(x, axis) }));
      it(`mean axis ${axis} ${shape}`, () => checkOp({ name: 'mean', shapes: [shape], gpu: (x) => mean(x, axis), ref: (x) => refReduce(x, axis, false, 1 / shape[axis]) }));
      it(`max axis ${axis} ${shape}`, () => checkOp({ name: 'max', shapes: [shape], gpu: (x) => max(x, axis), ref: (x) => refReduce(x, axis, true), noGrad: [0] }));
    }
  }
  it('rejects a bad axis with the shape in the message', () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => sum(x, 2)).toThrow(ShapeError);
    expect(() => sum(x, 2)).toThrow(/axis 2 out of range for \[2,3\]/);
  });
});
