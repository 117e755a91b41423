import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The CLI as tests run it: the build from src/ (buildNode), kernel winners cached apart from the user's. */
export const CLI = join(process.cwd(), 'dist/sparsegrad.js');

/** Runs `sparsegrad <args>` with its own tuning cache and any extra environment. */
export function cliRunner(name: string) {
  const cache = mkdtempSync(join(tmpdir(), `${name}-cache-`));
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, SPARSEGRAD_CACHE: cache, ...extra });
  const run = (args: string[], extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, env: env(extra) });
  return { run, env };
}

/** sha256 of every file below `dir` (paths relative to it), skipping those `skip` names: to see that nothing changed. */
export function treeHashes(dir: string, skip: (file: string) => boolean = () => false): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => !skip(f) && statSync(join(dir, f)).isFile())
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex'),
      ]),
  );
}
