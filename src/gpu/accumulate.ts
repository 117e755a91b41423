import accumulateWgsl from '../../shaders/accumulate.wgsl';
import type { Backend } from './backend.js';
import { workgroups1d } from './dispatch.js';

/**
 * Encodes out = a + b over `count` floats (same shape): the one kernel autograd itself needs,
 * kept below the tensor layer so that tensors do not depend on the ops built on them.
 */
export function encodeAccumulate(be: Backend, a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, count: number): void {
  const W = count % 4 === 0 ? 4 : 1;
  const pipeline = be.pipeline(`accumulate:${W}`, () => `${accumulateWgsl}\nalias V = ${W === 4 ? 'vec4f' : 'f32'};\n`);
  be.runner.dispatch(pipeline, [a, b, out], { count: count / W }, workgroups1d(count / W));
}
