import { readFileSync } from 'node:fs';
import '../../src/ops/reduce-axis';
import '../../src/ops/matmul';
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
    const seen = await c.pinned({ path: 'plain', elementwise: 'scalar' }, () => ({ ...c.pins }));
    expect(seen).toMatchObject({ path: 'plain', elementwise: 'scalar', reduce: 'tree' });
    expect(c.pins).toEqual({ ...NO_PINS, reduce: 'tree' });
    await expect(
      c.pinned({ matmul: 'tiled' }, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(c.pins.matmul).toBeUndefined();
    c.recording = new Set();
    c.reset();
    expect([c.pins, c.tuner, c.recording]).toEqual([{ ...NO_PINS }, null, null]);
  });

  it('a choice no op declared, or a variant it does not offer, is refused by name; gpu/ names no op choice', () => {
    const c = new KernelChoices();
    expect(() => c.pin({ matmull: 'tiled' })).toThrow(
      /^kernels.pin: no kernel choice "matmull" \(declared: .*matmul.*\)$/,
    );
    expect(() => c.pin({ reduce: 'fast' })).toThrow('kernels.pin: reduce has no variant "fast" (columns, tree)');
    expect(c.pins).toEqual({});
    const gpu = readFileSync('src/gpu/choices.ts', 'utf8');
    for (const name of ['matmul', 'spmm', 'reduce', 'elementwise'])
      expect(gpu).not.toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("the ops read the backend's pins", async () => {
    expect(unaryKernel(backend(), 8)).toBe('vec4');
    await backend().kernels.pinned({ elementwise: 'scalar', path: 'plain' }, () => {
      expect(unaryKernel(backend(), 8)).toBe('scalar');
      expect(kernelPath(backend())).toBe('plain');
    });
    expect(unaryKernel(backend(), 8)).toBe('vec4');
    expect(kernelPath(backend())).toBe(subgroupKernelsFit(backend()) ? 'subgroup' : 'plain');
  });
});
