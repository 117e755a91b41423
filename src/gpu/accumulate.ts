import accumulateWgsl from '../../shaders/accumulate.wgsl';
import { getPipeline } from './pipelines';
import { runner } from './runner';
import { workgroups1d } from './dispatch';

/**
 * Encodes out = a + b over `count` floats (same shape): the one kernel autograd itself needs,
 * kept below the tensor layer so that tensors do not depend on the ops built on them.
 */
export function encodeAccumulate(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, count: number): void {
  const W = count % 4 === 0 ? 4 : 1;
  const pipeline = getPipeline(`accumulate:${W}`, () => `${accumulateWgsl}\nalias V = ${W === 4 ? 'vec4f' : 'f32'};\n`);
  runner.dispatch(pipeline, [a, b, out], { count: count / W }, workgroups1d(count / W));
}
