import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { KernelChoices, NO_PINS } from '../../src/gpu/choices';
import { kernelPath, subgroupKernelsFit } from '../../src/gpu/kernel-path';
import { unaryKernel } from '../../src/ops/vector-width';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

describe('kernel choices live in one object', () => {
  it('pinned() restores the previous pins after fn, also when it throws; reset() frees every choice', async () => {
    const c = new KernelChoices();
    c.pin({ reduce: 'tree' });
    const seen = await c.pinned({ path: 'plain', scalarElementwise: true }, () => ({ ...c.pins }));
    expect(seen).toMatchObject({ path: 'plain', scalarElementwise: true, reduce: 'tree' });
    expect(c.pins).toEqual({ ...NO_PINS, reduce: 'tree' });
    await expect(
      c.pinned({ matmul: 'tiled' }, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(c.pins.matmul).toBeNull();
    c.recording = new Set();
    c.reset();
    expect([c.pins, c.tuner, c.recording]).toEqual([{ ...NO_PINS }, null, null]);
  });

  it("the ops read the backend's pins", async () => {
    expect(unaryKernel(backend(), 8)).toBe('vec4');
    await backend().kernels.pinned({ scalarElementwise: true, path: 'plain' }, () => {
      expect(unaryKernel(backend(), 8)).toBe('scalar');
      expect(kernelPath(backend())).toBe('plain');
    });
    expect(unaryKernel(backend(), 8)).toBe('vec4');
    expect(kernelPath(backend())).toBe(subgroupKernelsFit(backend()) ? 'subgroup' : 'plain');
  });
});
