import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { ensureDir } from './files.js';

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, someone else's
  }
};

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8'));
    return Number.isInteger(h?.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/**
 * One run per folder: takes `dir`/.lock (created with O_EXCL, holding pid, host, command and
 * start time) and returns the function that gives it back (also run when the process exits).
 * A second run is refused in one line naming the holder. A lock left by a process of this host
 * that is gone (killed, crashed) is taken over; one of another host is not (its liveness cannot
 * be seen from here), and the message says which file to delete if that run is gone.
 */
export function lockFolder(dir: string, command: string): () => void {
  ensureDir(dir);
  const file = join(dir, '.lock');
  const me: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(file);
      const young = Date.now() - statSync(file).mtimeMs < 5000;
      const stale = holder ? holder.host === me.host && !alive(holder.pid) : !young; // unreadable: a crash mid-write
      if (!stale) {
        const who = holder
          ? `${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
          : 'a run starting now';
        throw new ConfigError(
          `${dir}: in use by ${who}; wait for it or use another --out${holder && holder.host !== me.host ? ` (if that run is gone, delete ${file})` : ''}`,
        );
      }
      // Take the stale lock over: move it aside (only one taker's rename finds it), then retry.
      try {
        const moved = `${file}.stale-${randomBytes(4).toString('hex')}`;
        renameSync(file, moved);
        unlinkSync(moved);
      } catch {
        /* another process took it over first: retry, and meet its lock */
      }
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    fsyncSync(fd);
    closeSync(fd);
    const release = () => {
      const holder = readHolder(file);
      if (holder?.pid === me.pid && holder.host === me.host) unlinkSync(file);
      process.off('exit', release);
    };
    process.on('exit', release);
    return release;
  }
  throw new ConfigError(`${dir}: could not take ${file} (other runs keep taking it over); try again`);
}
