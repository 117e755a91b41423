import { describe, expect, it } from 'vitest';
import { checkOp, randomArray, useGpu } from '../helpers';
import { max, mean, reduceKernel, sum } from '../../src/ops/reduce';
import { Tensor } from '../../src/tensor/tensor';
import { refReduce } from '../ref/ref';
import { ShapeError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

describe('reduce', () => {
  // The last three reduce into ≥ 256 outputs: one invocation per output (vec4 where inner % 4 == 0).
  for (const shape of [[1], [7, 13], [250, 10], [3, 5, 7], [100003], [250, 300], [3, 130, 100], [7, 70, 37]]) {
    it(`sum all ${shape}`, () =>
      checkOp({
        name: 'sum',
        shapes: [shape],
        gpu: (x) => sum(x),
        ref: (x) => ({ data: Float64Array.of(x.data.reduce((p, v) => p + v, 0)), shape: [1] }),
        atol: 1e-4,
      }));
    for (let axis = 0; axis < shape.length; axis++) {
      it(`sum axis ${axis} ${shape}`, () =>
        checkOp({ name: 'sum', shapes: [shape], gpu: (x) => sum(x, axis), ref: (x) => refReduce(x, axis) }));
      it(`mean axis ${axis} ${shape}`, () =>
        checkOp({
          name: 'mean',
          shapes: [shape],
          gpu: (x) => mean(x, axis),
          ref: (x) => refReduce(x, axis, false, 1 / shape[axis]),
        }));
      it(`max axis ${axis} ${shape}`, () =>
        checkOp({
          name: 'max',
          shapes: [shape],
          gpu: (x) => max(x, axis),
          ref: (x) => refReduce(x, axis, true),
          noGrad: [0],
        }));
    }
  }
  it('rejects a bad axis with the shape in the message', () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => sum(x, 2)).toThrow(ShapeError);
    expect(() => sum(x, 2)).toThrow(/axis 2 out of range for \[2,3\]/);
  });

  it("the column kernel gives the tree kernel's bits, for sums and maxima, with and without vec4", async () => {
    expect(reduceKernel(backend(), 1, 255)).toBe('tree');
    expect(reduceKernel(backend(), 1, 256)).toBe('columns');
    for (const [shape, axis] of [
      [[250, 1500], 0],
      [[2, 130, 300], 1],
      [[7, 63, 37], 1],
      [[250, 12, 28, 28], 0],
    ] as [number[], number][]) {
      const x = Tensor.fromArray(
        randomArray(
          shape.reduce((p, q) => p * q, 1),
          5,
        ),
        shape,
      );
      const bits: Uint32Array[][] = [];
      for (const k of ['tree', 'columns'] as const) {
        backend().kernels.pin({ reduce: k });
        const outs = [sum(x, axis), mean(x, axis), max(x, axis)];
        bits.push(await Promise.all(outs.map(async (t) => new Uint32Array((await t.read()).buffer))));
        outs.forEach((t) => t.dispose());
      }
      backend().kernels.pin({ reduce: null });
      expect(bits[1], `${shape} axis ${axis}`).toEqual(bits[0]);
      x.dispose();
    }
  });
});
