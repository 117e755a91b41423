import transposeWgsl from '../../shaders/transpose.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad, backendOf } from '../tensor/tensor.js';
import { record } from './kernel.js';

/** xᵀ of a [R, C] tensor (a copy); the gradient is transposed back. */
export function transpose(x: Tensor): Tensor {
  if (x.shape.length !== 2) throw new ShapeError(`transpose: expects [rows, cols], got ${fmtShape(x.shape)}`);
  const [R, C] = x.shape;
  const be = backendOf('transpose', x);
  const out = Tensor.empty(be, [C, R], 'transpose');
  be.runner.dispatch(be.pipeline('transpose', transposeWgsl), [x.buffer, out.buffer], { R, C }, workgroups1d(x.size));
  return record(out, [x], (g) => accumulateGrad(x, transpose(g)));
}
