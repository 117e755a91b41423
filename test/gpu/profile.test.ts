import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Tensor, tidy } from '../../src/tensor/tensor';
import { relu, scale, add } from '../../src/ops/elementwise';
import { DeviceError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

describe('kernel profile', () => {
  it('times every dispatch by kernel, across submits, and the work still computes the right values', async () => {
    if (!backend().gpu.hasTimestamps) {
      // Without timestamp queries profiling must refuse clearly, not return zeros.
      expect(() => backend().runner.startProfile()).toThrow(/timestamp-query/);
      return;
    }
    const x = Tensor.fromArray(
      Float32Array.from({ length: 4096 }, (_, i) => i - 2048),
      [64, 64],
    );
    backend().runner.startProfile();
    // 700 dispatches: more than one query set (512), so a flush happens in the middle.
    tidy(() => {
      for (let i = 0; i < 300; i++) relu(x);
      for (let i = 0; i < 400; i++) scale(x, 2);
    });
    const y = add(x, x);
    const times = await backend().runner.stopProfile();
    const byKernel = new Map(times.map((t) => [t.kernel, t]));
    expect(byKernel.get('unary:relu:4')?.dispatches).toBe(300);
    expect(byKernel.get('unary:scale:4')?.dispatches).toBe(400);
    expect(byKernel.get('binary:add:444')?.dispatches).toBe(1);
    for (const t of times) expect(t.ms, t.kernel).toBeGreaterThanOrEqual(0);
    expect(byKernel.get('unary:scale:4')!.ms).toBeGreaterThan(0); // 400 dispatches: above any timer's resolution
    expect(times.map((t) => t.ms)).toEqual([...times.map((t) => t.ms)].sort((p, q) => q - p)); // largest first
    const out = await y.read();
    expect(out[0]).toBe(-4096);
    expect(out[4095]).toBe(4094);
    y.dispose();
    x.dispose();
    // A stop with no start is an error; after a stop, dispatches are not profiled.
    await expect(backend().runner.stopProfile()).rejects.toThrow(DeviceError);
  });
});
