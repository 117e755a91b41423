import adamWgsl from '../../shaders/adam.wgsl';
import { unaryKernel } from './elementwise';
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
  // Four parameters per invocation where the size allows, like the elementwise ops.
  const vec4 = unaryKernel(p.size) === 'vec4';
  const pipeline = getPipeline(`adam:${vec4 ? 4 : 1}`, () => `${adamWgsl}\nalias PV = ${vec4 ? 'vec4f' : 'f32'};\nconst W = ${vec4 ? 4 : 1}u;\n`);
  runner.dispatch(pipeline, [p.buffer, g.buffer, m.buffer, v.buffer], [p.size, f32(lrT), f32(beta1), f32(beta2), f32(eps), f32(decay)], workgroups1d(vec4 ? p.size / 4 : p.size));
}
