import adamWgsl from '../../shaders/adam.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner, f32 } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import type { Tensor } from '../tensor/tensor';

/**
 * In-place fused Adam update of p with gradient g + decay·p (the gradient of an L2 penalty
 * decay·½Σp², folded in) and moments m, v; lrT is bias-corrected.
 */
export function adamUpdate(p: Tensor, g: Tensor, m: Tensor, v: Tensor, lrT: number, beta1: number, beta2: number, eps: number, decay = 0): void {
  if (g.size !== p.size || m.size !== p.size || v.size !== p.size) throw new ShapeError(`adam: parameter ${fmtShape(p.shape)} vs gradient ${fmtShape(g.shape)}`);
  runner.dispatch(getPipeline('adam', adamWgsl), [p.buffer, g.buffer, m.buffer, v.buffer], [p.size, f32(lrT), f32(beta1), f32(beta2), f32(eps), f32(decay)], workgroups1d(p.size));
}
