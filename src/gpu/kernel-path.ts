import { gpu } from './device';
import { DeviceError } from './errors';

/**
 * Which family of kernels the ops use. 'subgroup' kernels share loaded values between the
 * lanes of a subgroup (subgroupBroadcast) and need subgroups of at least 8 lanes; 'plain'
 * kernels run on any adapter. Chosen by adapter unless forced (tests and benchmarks run both).
 */
export type KernelPath = 'subgroup' | 'plain';

let forced: KernelPath | null = null;

/** Pins the kernel path; null goes back to choosing by adapter. */
export function forceKernelPath(path: KernelPath | null): void {
  forced = path;
}

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

const planOf = () => {
  const g = gpu();
  return subgroupPlan({ hasSubgroups: g.hasSubgroups, ...g.subgroupSizes, probed: g.probedSubgroupSize });
};

export function subgroupKernelsFit(): boolean {
  return planOf().path === 'subgroup';
}

export function kernelPath(): KernelPath {
  const fits = subgroupKernelsFit();
  if (forced === 'subgroup' && !fits)
    throw new DeviceError(
      'subgroup kernels need the subgroups feature with subgroups of >= 8 lanes; this adapter has not',
    );
  return forced ?? (fits ? 'subgroup' : 'plain');
}

/** Lanes per workgroup of a subgroup kernel: one subgroup where it is 8–64 wide. */
export function subgroupWorkgroupSize(): number {
  return planOf().workgroup;
}
