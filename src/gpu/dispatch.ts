/** Workgroups for one thread per element with 256-thread groups; spills into y past 65535. */
export function workgroups1d(count: number, groupSize = 256): [number, number] {
  const groups = Math.ceil(count / groupSize);
  if (groups <= 65535) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
