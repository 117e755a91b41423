import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { subgroupPlan, subgroupKernelsFit, subgroupWorkgroupSize } from '../../src/gpu/kernel-path';
import { probeSubgroupSize } from '../../src/gpu/device';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// What adapters report (GPUAdapterInfo.subgroupMinSize/MaxSize) and what a probe pipeline sees.
const ADAPTERS: [string, { hasSubgroups: boolean; min: number; max: number; probed: number | null }, string, number][] =
  [
    ['NVIDIA (warps of 32)', { hasSubgroups: true, min: 32, max: 32, probed: null }, 'subgroup', 32],
    ['AMD RDNA (wave32/wave64)', { hasSubgroups: true, min: 32, max: 64, probed: null }, 'subgroup', 64],
    ['AMD GCN (wave64)', { hasSubgroups: true, min: 64, max: 64, probed: null }, 'subgroup', 64],
    ['Intel Gen/Xe (SIMD8–32)', { hasSubgroups: true, min: 8, max: 32, probed: null }, 'subgroup', 32],
    ['Intel Xe2 (SIMD16–32)', { hasSubgroups: true, min: 16, max: 32, probed: null }, 'subgroup', 32],
    [
      'Dawn on Metal, Apple GPU (says 4–64, runs 32)',
      { hasSubgroups: true, min: 4, max: 64, probed: 32 },
      'subgroup',
      32,
    ],
    ['Dawn on Metal, probe ran 4 lanes', { hasSubgroups: true, min: 4, max: 64, probed: 4 }, 'plain', 0],
    ['says 4–64, not probed', { hasSubgroups: true, min: 4, max: 64, probed: null }, 'plain', 0],
    ['lavapipe (256-bit LLVM: 8)', { hasSubgroups: true, min: 8, max: 8, probed: null }, 'subgroup', 8],
    ['SwiftShader / no subgroups feature', { hasSubgroups: false, min: 0, max: 0, probed: null }, 'plain', 0],
    ['sizes not reported, probe ran 16', { hasSubgroups: true, min: 0, max: 0, probed: 16 }, 'subgroup', 16],
  ];

describe('subgroup path by what the adapter really runs', () => {
  it.each(ADAPTERS)('%s', (_, facts, path, workgroup) => {
    const plan = subgroupPlan(facts);
    expect(plan.path).toBe(path);
    expect(plan.workgroup).toBe(workgroup);
    expect(plan.reason.length).toBeGreaterThan(10);
  });

  it('on this adapter: the probe sees a size the adapter allows, and the plan follows the facts', async () => {
    const g = backend().gpu;
    if (g.hasSubgroups) {
      const seen = await probeSubgroupSize(g.device);
      expect(seen).toBeGreaterThanOrEqual(Math.max(1, g.subgroupSizes.min));
      if (g.subgroupSizes.max) expect(seen).toBeLessThanOrEqual(g.subgroupSizes.max);
    }
    const plan = subgroupPlan({ hasSubgroups: g.hasSubgroups, ...g.subgroupSizes, probed: g.probedSubgroupSize });
    expect(subgroupKernelsFit(backend())).toBe(plan.path === 'subgroup');
    if (plan.path === 'subgroup') expect(subgroupWorkgroupSize(backend())).toBe(plan.workgroup);
  });
});
