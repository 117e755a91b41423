import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sh = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/** Lists every file under `dir` (relative paths), to see that running wrote nothing there. */
const filesUnder = (dir: string, base = ''): string[] =>
  readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(base, e.name)) : [join(base, e.name)],
  );

describe('the npm package', () => {
  it('npm run pack, npm install <tgz> in an empty folder, then a script importing sparsegrad trains, attacks and prunes; the CLI runs prebuilt', () => {
    const work = mkdtempSync(join(tmpdir(), 'sparsegrad-pack-'));
    const tgz = sh(process.execPath, ['scripts/pack.mjs', '--out', work], process.cwd()).trim().split('\n').pop()!;
    const app = join(work, 'app');
    sh('mkdir', ['-p', app], work);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }),
    );
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], app);
    const installed = join(app, 'node_modules/sparsegrad');
    const published = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(published.scripts, "no install or build scripts run in a user's install").toBeUndefined();
    expect(published.devDependencies).toBeUndefined();
    expect(published.engines.node).toBe(JSON.parse(readFileSync('package.json', 'utf8')).engines.node);
    expect(existsSync(join(installed, 'src')), 'sources are not shipped').toBe(false);
    for (const f of [
      'dist/lib/node.js',
      'dist/lib/index.js',
      'dist/lib/research.js',
      'dist/lib/internals.js',
      'dist/browser/sparsegrad.js',
      'dist/cli/sparsegrad.js',
      'dist/types/node.d.ts',
    ])
      expect(existsSync(join(installed, f)), f).toBe(true);
    const before = filesUnder(installed).sort();
    copyFileSync(join(process.cwd(), 'examples/train-attack-prune.mjs'), join(app, 'example.mjs'));
    const out = sh(process.execPath, ['example.mjs'], app, { ITERATIONS: '80' });
    const acc = Number(/test accuracy ([\d.]+)%/.exec(out)?.[1]);
    expect(acc, out).toBeGreaterThan(70);
    expect(out).toMatch(/FGSM ε = 0\.1 on 500 test images: robust accuracy [\d.]+%/);
    expect(out).toMatch(/PGD-20 ε = 0\.1 on 500 test images: robust accuracy [\d.]+%/);
    expect(out).toMatch(/pruned 90% of every weight matrix by \|w\|: test accuracy [\d.]+%/);
    expect(sh(join(app, 'node_modules/.bin/sparsegrad'), ['--help'], app)).toMatch(/Usage: sparsegrad/);
    expect(filesUnder(installed).sort(), 'running compiled or wrote nothing inside the package').toEqual(before);
  });
});
