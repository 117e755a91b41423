import transposeWgsl from '../../shaders/transpose.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { record } from './kernel';

/** xᵀ of a [R, C] tensor (a copy); the gradient is transposed back. */
export function transpose(x: Tensor): Tensor {
  if (x.shape.length !== 2) throw new ShapeError(`transpose: expects [rows, cols], got ${fmtShape(x.shape)}`);
  const [R, C] = x.shape;
  const out = Tensor.empty([C, R], 'transpose');
  runner.dispatch(getPipeline('transpose', transposeWgsl), [x.buffer, out.buffer], { R, C }, workgroups1d(x.size));
  return record(out, [x], (g) => accumulateGrad(x, transpose(g)));
}
