import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Every entry point: the library, the CLI, the benchmark and the browser demo.
const ENTRIES = [
  'src/index.ts',
  'src/node.ts',
  'src/research.ts',
  'src/internals.ts',
  'src/browser.ts',
  'src/cli/main.ts',
  'bench/main.ts',
  'demo/main.ts',
  'demo/kernels.ts',
];

describe('source structure', () => {
  it('the import graph has no cycles (dpdm, type-only imports included)', () => {
    const dpdm = join(process.cwd(), 'node_modules/.bin/dpdm');
    const r = spawnSync(dpdm, ['--no-warning', '--no-tree', '--exit-code', 'circular:1', ...ENTRIES], {
      encoding: 'utf8',
    });
    expect(r.stdout, r.stderr).toMatch(/no circular dependency was found/);
    expect(r.status, r.stdout).toBe(0);
  });
});

describe('formatting and lint', () => {
  it('biome: every source file is formatted (120 columns) and passes the linter', () => {
    const biome = join(process.cwd(), 'node_modules/.bin/biome');
    const r = spawnSync(biome, ['ci', '--colors=off', '--max-diagnostics=20'], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-4000)).toBe(0);
  });
});
