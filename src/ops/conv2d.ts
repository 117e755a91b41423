import conv2dWgsl from '../../shaders/conv2d.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { record } from './kernel';

export type Padding = 'same' | 'valid';

/**
 * conv2d(x [N,C,H,W], w [O,C,KH,KW]) → [N,O,OH,OW], stride 1, PyTorch's cross-correlation and
 * weight layout. 'same' needs odd kernels (padding (K−1)/2). Gradients for x and w are the
 * same kernel in its other two modes. Add the bias with add(y, b.reshape([O,1,1])).
 */
export function conv2d(x: Tensor, w: Tensor, padding: Padding = 'same'): Tensor {
  if (x.shape.length !== 4 || w.shape.length !== 4) throw new ShapeError(`conv2d: expects x [N,C,H,W] and w [O,C,KH,KW], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  const [N, C, H, W] = x.shape;
  const [O, Cw, KH, KW] = w.shape;
  if (C !== Cw) throw new ShapeError(`conv2d: input has ${C} channels, weights ${fmtShape(w.shape)} expect ${Cw}`);
  if (padding === 'same' && (KH % 2 === 0 || KW % 2 === 0)) throw new ShapeError(`conv2d: 'same' padding needs odd kernel sizes, got ${KH}x${KW}`);
  const P = padding === 'same' ? (KH - 1) / 2 : 0;
  if (padding === 'same' && KH !== KW) throw new ShapeError(`conv2d: 'same' padding needs square kernels, got ${KH}x${KW}`);
  const [OH, OW] = padding === 'same' ? [H, W] : [H - KH + 1, W - KW + 1];
  if (OH < 1 || OW < 1) throw new ShapeError(`conv2d: kernel ${KH}x${KW} is larger than the ${H}x${W} input`);
  const dims = [N, C, H, W, O, KH, KW, P, OH, OW];
  const run = (mode: number, a: Tensor, b: Tensor, shape: number[], op: string): Tensor => {
    const out = Tensor.empty(shape, op);
    runner.dispatch(getPipeline('conv2d', conv2dWgsl, { MODE: mode }), [a.buffer, b.buffer, out.buffer], [...dims, out.size], workgroups1d(out.size));
    return out;
  };
  const y = run(0, x, w, [N, O, OH, OW], 'conv2d');
  return record(y, [x, w], (g) => {
    if (x.requiresGrad) accumulateGrad(x, run(1, g, w, [N, C, H, W], 'conv2dInputGrad'));
    if (w.requiresGrad) accumulateGrad(w, run(2, g, x, [O, C, KH, KW], 'conv2dWeightGrad'));
  });
}
