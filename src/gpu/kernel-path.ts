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

export function subgroupKernelsFit(): boolean {
  const g = gpu();
  return g.hasSubgroups && g.subgroupSizes.min >= 8;
}

export function kernelPath(): KernelPath {
  const fits = subgroupKernelsFit();
  if (forced === 'subgroup' && !fits) throw new DeviceError('subgroup kernels need the subgroups feature with subgroups of >= 8 lanes; this adapter has not');
  return forced ?? (fits ? 'subgroup' : 'plain');
}

/** Lanes per workgroup of a subgroup kernel: one subgroup where it is 8–64 wide. */
export function subgroupWorkgroupSize(): number {
  return Math.min(64, Math.max(8, gpu().subgroupSizes.max));
}
