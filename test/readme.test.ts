import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPackage } from '../scripts/build.mjs';

// Every code block of the README's "Use it as a library" runs as written, importing the
// package by its name (the checkout's own package.json resolves `sparsegrad` to dist/).
const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(
  readme.indexOf('## Use it as a library'),
  readme.indexOf('\n## ', readme.indexOf('## Use it as a library') + 5),
);
const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const dir = join(process.cwd(), '.readme-snippets');

beforeAll(async () => {
  await buildPackage();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
}, 120_000);

describe('README: "Use it as a library"', () => {
  it('has code blocks to run', () => expect(blocks.length).toBeGreaterThanOrEqual(3));
  blocks.forEach((code, i) =>
    it(`block ${i + 1} runs as written and prints what it computes`, () => {
      const file = join(dir, `block-${i + 1}.mjs`);
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const printed = r.stdout.trim().split('\n');
      expect(printed.length, r.stdout).toBeGreaterThanOrEqual(2);
      for (const m of r.stdout.matchAll(/(\d+\.\d)% /g)) expect(Number(m[1])).toBeLessThanOrEqual(100);
      if (/test accuracy/.test(code))
        expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)?.[1]), r.stdout).toBeGreaterThan(60);
    }),
  );
});
