import fillWgsl from '../../shaders/fill.wgsl';
import type { Backend } from './backend.js';
import { workgroups1d } from './dispatch.js';

/** Encodes buffer[0..count) = value (NaN included: the bit pattern travels as u32). */
export function fillBuffer(b: Backend, buffer: GPUBuffer, count: number, value: number): void {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  b.runner.dispatch(b.pipeline('fill', fillWgsl), [buffer], { size: count, bits }, workgroups1d(count));
}
