import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The CLI runs from a read-only checkout: it rebuilds dist/ only when a source is newer than
// the build, and says in one line what to do when it has no build and cannot make one. The
// checkout is made read-only with a bind mount in a user and mount namespace of its own.
const root = process.cwd();
const inReadOnlyCheckout = (script: string) =>
  spawnSync('unshare', ['-rm', 'sh', '-c', `mount --bind -o ro "${root}" "${root}" && cd "${root}" && ${script}`], {
    encoding: 'utf8',
  });

describe('a read-only checkout', () => {
  it('runs --help and a command with its existing build', () => {
    expect(spawnSync(process.execPath, ['bin/sparsegrad.js', '--help'], { encoding: 'utf8' }).status).toBe(0); // build while writable
    const out = join(mkdtempSync(join(tmpdir(), 'ro-')), 'run');
    const r = inReadOnlyCheckout(
      `touch src/x 2>/dev/null && echo writable; node bin/sparsegrad.js --help && node bin/sparsegrad.js train --hidden 8 --iterations 4 --eval-every 0 --batch 20 --kernels rules --out "${out}"`,
    );
    expect(r.stdout).not.toMatch(/writable/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Usage: sparsegrad/);
    expect(r.stdout).toMatch(/wrote/);
  });

  it('without a build it cannot make, it says so in one line', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-dist-'));
    const r = inReadOnlyCheckout(`mount --bind -o ro "${empty}" "${root}/dist" && node bin/sparsegrad.js --help`);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^sparsegrad: cannot build the CLI into .*dist \(.*\); run `npm run build` where the checkout can be written$/,
    );
  });
});
