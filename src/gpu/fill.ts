import fillWgsl from '../../shaders/fill.wgsl';
import { getPipeline } from './pipelines';
import { runner } from './runner';
import { workgroups1d } from './dispatch';

/** Encodes buffer[0..count) = value (NaN included: the bit pattern travels as u32). */
export function fillBuffer(buffer: GPUBuffer, count: number, value: number): void {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  runner.dispatch(getPipeline('fill', fillWgsl), [buffer], { size: count, bits }, workgroups1d(count));
}
