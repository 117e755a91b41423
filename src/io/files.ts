import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataError } from '../gpu/errors.js';

/** Writes via a temporary file and rename(): an interrupted run never leaves half a file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function readBytes(path: string): Uint8Array {
  if (!existsSync(path)) throw new DataError(`${path}: no such file`);
  return new Uint8Array(readFileSync(path));
}
