import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Tensor } from '../../src/tensor/tensor';
import { DeviceError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// Its own file (own process): the device stays lost afterwards.
describe('device loss', () => {
  it('is reported as a DeviceError naming the loss, not a hang', async () => {
    const device = backend().gpu.device;
    device.destroy();
    await device.lost;
    expect(() => Tensor.zeros([4])).toThrow(DeviceError);
    expect(() => Tensor.zeros([4])).toThrow(/device was lost \(destroyed/);
  });
});
