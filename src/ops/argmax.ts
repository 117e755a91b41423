import argmaxWgsl from '../../shaders/argmax.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor } from '../tensor/tensor';

/** Row-wise argmax of a [rows, cols] tensor, as float indices [rows]; no gradient. */
export function argmax(x: Tensor): Tensor {
  if (x.shape.length !== 2 || x.shape[1] < 1)
    throw new ShapeError(`argmax: expects [rows, cols], got ${fmtShape(x.shape)}`);
  const [rows, cols] = x.shape;
  const out = Tensor.empty([rows], 'argmax');
  runner.dispatch(getPipeline('argmax', argmaxWgsl), [x.buffer, out.buffer], { rows, cols }, workgroups1d(rows, 64));
  return out;
}
