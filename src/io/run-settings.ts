import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';

/** The first setting (dotted path) where two settings objects differ, with both values; null when equal. */
export function firstDifference(
  have: unknown,
  want: unknown,
  path = '',
): { key: string; have: unknown; want: unknown } | null {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObject(have) && isObject(want)) {
    for (const k of [...new Set([...Object.keys(have), ...Object.keys(want)])].sort()) {
      const d = firstDifference(have[k], want[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return JSON.stringify(have) === JSON.stringify(want) ? null : { key: path || '(all)', have, want };
}

/**
 * Results are part of a run's identity: where `file` (a result this command writes) exists and
 * records other `settings` (under its `key`), the run is refused before any work, naming the
 * first setting that differs, unless `force` (start over).
 */
export function refuseOtherSettings(
  file: string,
  settings: Record<string, unknown>,
  force: boolean,
  read: (json: Record<string, unknown>) => unknown = (j) => j.settings,
): void {
  if (force || !existsSync(file)) return;
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError(
      `${file}: exists but is not valid JSON (a damaged result); use another --out, or --force to start over`,
    );
  }
  const d = firstDifference(read(saved), settings);
  if (d)
    throw new ConfigError(
      `${file}: made with ${d.key} = ${JSON.stringify(d.have)}, this run has ${JSON.stringify(d.want)}; use another --out, or --force to start over`,
    );
}

/** An output path that is one of the inputs is refused: a command never overwrites what it reads. */
export function refuseOutputIsInput(out: string, inputs: string[]): void {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));
  const o = real(out);
  for (const i of inputs)
    if (real(i) === o) throw new ConfigError(`--out ${out} is the input ${i}; write the result to another file`);
}
