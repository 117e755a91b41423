import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Tensor } from '../../src/tensor/tensor';
import { DeviceError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// Its own file (own process): the device stays poisoned afterwards.
describe('an uncaptured WebGPU error', () => {
  it('makes the next readback throw a DeviceError naming it, instead of returning numbers from work that did not run', async () => {
    const t = Tensor.fromArray(Float32Array.from([1, 2, 3]), [3]);
    expect(Array.from(await t.read())).toEqual([1, 2, 3]);
    const device = backend().gpu.device;
    // MAP_READ may only be combined with COPY_DST: a validation error outside any error scope.
    device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    await expect(t.read()).rejects.toThrow(DeviceError);
    expect(() => Tensor.zeros([4])).toThrow(
      /WebGPU reported an error, so results after it cannot be trusted: .*usage/i,
    );
  });
});
