import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { gpu } from '../../src/gpu/device';
import { Tensor } from '../../src/tensor/tensor';
import { DeviceError } from '../../src/gpu/errors';

useGpu();

// Its own file (own process): the device stays lost afterwards.
describe('device loss', () => {
  it('is reported as a DeviceError naming the loss, not a hang', async () => {
    const device = gpu().device;
    device.destroy();
    await device.lost;
    expect(() => Tensor.zeros([4])).toThrow(DeviceError);
    expect(() => Tensor.zeros([4])).toThrow(/device was lost \(destroyed/);
  });
});
