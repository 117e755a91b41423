import adamWgsl from '../../shaders/adam.wgsl';
import { unaryKernel } from './elementwise.js';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { type Tensor, backendOf } from '../tensor/tensor.js';

/**
 * In-place fused Adam update of p with gradient g + decay·p (the gradient of an L2 penalty
 * decay·½Σp², folded in) and moments m, v; lrT is bias-corrected.
 */
export function adamUpdate(
  p: Tensor,
  g: Tensor,
  m: Tensor,
  v: Tensor,
  lrT: number,
  beta1: number,
  beta2: number,
  eps: number,
  decay = 0,
  mask: Tensor | null = null,
): void {
  if (g.size !== p.size || m.size !== p.size || v.size !== p.size)
    throw new ShapeError(`adam: parameter ${fmtShape(p.shape)} vs gradient ${fmtShape(g.shape)}`);
  if (mask && mask.size !== p.size)
    throw new ShapeError(`adam: parameter ${fmtShape(p.shape)} vs mask ${fmtShape(mask.shape)}`);
  // Four parameters per invocation where the size allows, like the elementwise ops.
  const be = backendOf('adam', p, g, m, v, ...(mask ? [mask] : []));
  const vec4 = unaryKernel(be, p.size) === 'vec4';
  const PV = vec4 ? 'vec4f' : 'f32';
  const tail = mask
    ? `@group(0) @binding(4) var<storage, read> mask: array<PV>;\n@group(0) @binding(5) var<uniform> u: Uniforms;\nfn maskOf(i: u32) -> PV { return mask[i]; }\n`
    : `@group(0) @binding(4) var<uniform> u: Uniforms;\nfn maskOf(i: u32) -> PV { return PV(1.0); }\n`;
  const pipeline = be.pipeline(
    `adam:${vec4 ? 4 : 1}${mask ? ':masked' : ''}`,
    () => `${adamWgsl}\nalias PV = ${PV};\nconst W = ${vec4 ? 4 : 1}u;\n${tail}`,
  );
  const buffers = [p.buffer, g.buffer, m.buffer, v.buffer, ...(mask ? [mask.buffer] : [])];
  be.runner.dispatch(
    pipeline,
    buffers,
    { size: p.size, lr: lrT, beta1, beta2, eps, decay },
    workgroups1d(vec4 ? p.size / 4 : p.size),
  );
}
