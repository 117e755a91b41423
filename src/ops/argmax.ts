import argmaxWgsl from '../../shaders/argmax.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, backendOf } from '../tensor/tensor.js';

/** Row-wise argmax of a [rows, cols] tensor, as float indices [rows]; no gradient. */
export function argmax(x: Tensor): Tensor {
  if (x.shape.length !== 2 || x.shape[1] < 1)
    throw new ShapeError(`argmax: expects [rows, cols], got ${fmtShape(x.shape)}`);
  const [rows, cols] = x.shape;
  const be = backendOf('argmax', x);
  const out = Tensor.empty(be, [rows], 'argmax');
  be.runner.dispatch(be.pipeline('argmax', argmaxWgsl), [x.buffer, out.buffer], { rows, cols }, workgroups1d(rows, 64));
  return out;
}
