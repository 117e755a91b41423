import { DeviceError } from '../util/errors.js';
import type { Backend } from './backend.js';
import { kernelKnob, type KernelPath } from './choices.js';

export type { KernelPath } from './choices.js';

/** What an adapter says about its subgroups, and (where it says they may be narrow) what a probe saw. */
export interface SubgroupFacts {
  hasSubgroups: boolean;
  min: number;
  max: number;
  probed: number | null;
}

/**
 * Whether the subgroup kernels can run, and their workgroup size. They need every subgroup to
 * have at least 8 lanes (they broadcast from lanes 0..7). An adapter whose smallest subgroup is
 * 8 or more qualifies as it stands; one that says it may go lower (Dawn on Metal: 4) qualifies
 * if a probe pipeline ran with 8 or more. The workgroup is one subgroup where it is 8–64 wide.
 */
export function subgroupPlan(f: SubgroupFacts): { path: KernelPath; workgroup: number; reason: string } {
  if (!f.hasSubgroups) return { path: 'plain', workgroup: 0, reason: 'the adapter has no subgroups feature' };
  const clampWg = (n: number) => Math.min(64, Math.max(8, n));
  if (f.min >= 8)
    return { path: 'subgroup', workgroup: clampWg(f.max), reason: `subgroups of ${f.min}–${f.max} lanes` };
  if (f.probed !== null && f.probed >= 8)
    return {
      path: 'subgroup',
      workgroup: clampWg(f.probed),
      reason: `the adapter allows ${f.min}–${f.max} lanes; a probe ran with ${f.probed}`,
    };
  return {
    path: 'plain',
    workgroup: 0,
    reason: `subgroups may have ${f.min} lanes${f.probed !== null ? ` (a probe ran with ${f.probed})` : ''}; the subgroup kernels need 8`,
  };
}

const planOf = (b: Backend) => {
  const g = b.gpu;
  return subgroupPlan({ hasSubgroups: g.hasSubgroups, ...g.subgroupSizes, probed: g.probedSubgroupSize });
};

export function subgroupKernelsFit(b: Backend): boolean {
  return planOf(b).path === 'subgroup';
}

/** The kernel family, pinned by tests and benchmarks (`pin({ path: 'plain' })`). */
export const KERNEL_PATH = kernelKnob<KernelPath>('path', ['subgroup', 'plain']);

/** The kernel family the ops use: pinned (tests and benchmarks run both), else the subgroup one where the adapter fits it. */
export function kernelPath(b: Backend): KernelPath {
  const forced = b.kernels.pinnedVariant(KERNEL_PATH);
  const fits = subgroupKernelsFit(b);
  if (forced === 'subgroup' && !fits)
    throw new DeviceError(
      'subgroup kernels need the subgroups feature with subgroups of >= 8 lanes; this adapter has not',
    );
  return forced ?? (fits ? 'subgroup' : 'plain');
}

/** Lanes per workgroup of a subgroup kernel: one subgroup where it is 8–64 wide. */
export function subgroupWorkgroupSize(b: Backend): number {
  return planOf(b).workgroup;
}
