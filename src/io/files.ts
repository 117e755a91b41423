import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { basename, dirname, join, resolve } from 'node:path';
import { DataError } from '../util/errors.js';

/**
 * Test hook for crash tests (SPARSEGRAD_KILL_AT=<point>[@<n>]): the process kills itself with
 * SIGKILL the n-th time (default the first) it reaches the named point of a transaction, so
 * tests can stop a run at every boundary of a checkpoint. Points: written:<file> (staged and
 * fsynced), committed (the commit record in place), renamed:<file>.
 */
const killAt = (() => {
  const spec = typeof process !== 'undefined' ? process.env.SPARSEGRAD_KILL_AT : undefined;
  if (!spec) return null;
  const [point, n] = spec.split('@');
  return { point, left: n ? Number(n) : 1 };
})();
function failpoint(point: string): void {
  if (killAt && killAt.point === point && --killAt.left === 0) process.kill(process.pid, 'SIGKILL');
}

/** Creates the folder (and its parents), as a one-line error where that cannot be done. */
export function ensureDir(dir: string): void {
  // Level by level, not mkdirSync's recursive mode: on some file systems (/proc) that retries
  // for ever instead of failing.
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing)
    try {
      mkdirSync(d);
    } catch (e) {
      // Runs started together into one new folder: another one made it first (checked below).
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  if (!statSync(dir).isDirectory()) throw new DataError(`${dir}: a file, not a folder; choose another --out`);
}

/** fsync a folder, so a rename in it survives a power cut. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new file that nobody else can have prepared: an unpredictable name in the target's
 * folder, created with O_EXCL (a planted file or link there makes it fail, it is never
 * followed), written and fsynced. Returns its path.
 */
function writeFresh(dir: string, name: string, data: string | Uint8Array): string {
  const path = join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(path, 'wx', 0o644);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

/**
 * Writes a file whole or not at all: a fresh temporary file (O_EXCL, unpredictable name),
 * fsynced, renamed over the target, the folder fsynced. An interrupted run never leaves half a
 * file, and a symlink planted anywhere on the way is not followed.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  ensureDir(dir);
  const tmp = writeFresh(dir, basename(path), data);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
  syncDir(dir);
}

const COMMIT = 'commit.json';

/**
 * Writes several files of one folder as one transaction (a checkpoint's model, optimizer state,
 * history and train.json): every new file is written and fsynced under a temporary name, then
 * a commit record naming them is renamed into place (the commit point), then each is renamed
 * over its target and the record removed. A run killed before the commit point keeps the old
 * files, all of them; one killed after it has the new ones completed by recoverFolder() when
 * the folder is next opened. Readers therefore never see new weights beside an old iteration.
 */
export function writeTransaction(dir: string, files: Record<string, string | Uint8Array>): void {
  ensureDir(dir);
  recoverFolder(dir);
  const staged: Record<string, string> = {};
  for (const [name, data] of Object.entries(files)) {
    staged[name] = basename(writeFresh(dir, name, data));
    failpoint(`written:${name}`);
  }
  syncDir(dir);
  writeAtomic(join(dir, COMMIT), JSON.stringify({ files: staged }));
  failpoint('committed');
  finishCommit(dir, staged);
}

function finishCommit(dir: string, staged: Record<string, string>): void {
  for (const [name, tmp] of Object.entries(staged)) {
    if (existsSync(join(dir, tmp))) renameSync(join(dir, tmp), join(dir, name));
    failpoint(`renamed:${name}`);
  }
  syncDir(dir);
  unlinkSync(join(dir, COMMIT));
  syncDir(dir);
}

/**
 * Completes or undoes an interrupted transaction in `dir`: a commit record present means the
 * new files were all written, so they are renamed into place; temporary files without one
 * are an unfinished write, and are removed. Nothing else in the folder is touched.
 */
export function recoverFolder(dir: string): void {
  if (!existsSync(dir)) return;
  const record = join(dir, COMMIT);
  if (existsSync(record)) {
    let staged: Record<string, string>;
    try {
      staged = JSON.parse(readFileSync(record, 'utf8')).files;
    } catch {
      throw new DataError(`${record}: an unreadable commit record; the folder needs a look by hand`);
    }
    finishCommit(dir, staged);
  }
  for (const name of readdirSync(dir))
    if (/^\..+\.[0-9a-f]{16}\.tmp$/.test(name) && lstatSync(join(dir, name)).isFile()) unlinkSync(join(dir, name));
}

export function readBytes(path: string): Uint8Array {
  // A file kept gzip-compressed (`model.safetensors.gz`) is read by either name.
  if (!existsSync(path) && existsSync(`${path}.gz`)) path = `${path}.gz`;
  if (!existsSync(path)) throw new DataError(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new DataError(`${path}: a folder, not a file`);
  const bytes = readFileSync(path);
  if (!path.endsWith('.gz')) return new Uint8Array(bytes);
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (e) {
    throw new DataError(`${path}: not a complete gzip file (${(e as Error).message})`);
  }
}

/**
 * Whether a result file is there, as itself or gzip-compressed beside it (`<path>.gz`: the
 * committed results keep large JSON, CSV and HTML compressed).
 */
export function resultExists(path: string): boolean {
  return existsSync(path) || existsSync(`${path}.gz`);
}

/** A result file's text, read from `<path>.gz` where only the compressed copy is there. */
export function readResult(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  if (existsSync(`${path}.gz`)) return gunzipSync(readFileSync(`${path}.gz`)).toString('utf8');
  throw new DataError(`${path}: no such file`);
}
