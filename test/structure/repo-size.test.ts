import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

// The repository stays small enough to send to a GPU machine with a kit beside it (64 MiB in
// all): the tracked tree at most 25 MiB, no large file but the paper model, and every
// artefact left out listed with the command that rebuilds it.
const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
const LARGE_ALLOWED = new Set(['results/fc-paper/model.safetensors.gz']);

describe('the tracked tree', () => {
  it('is at most 25 MiB, with no file over 1.5 MB but the paper model', () => {
    const sizes = tracked.map((f) => [f, statSync(f).size] as const);
    const total = sizes.reduce((s, [, b]) => s + b, 0);
    expect(total).toBeLessThanOrEqual(25 * 2 ** 20);
    expect(sizes.filter(([f, b]) => b > 1.5e6 && !LARGE_ALLOWED.has(f)).map(([f]) => f)).toEqual([]);
  });

  it('lists every artefact it leaves out in results/MANIFEST.tsv (path, bytes, sha256 of file and tensors, command), none of them tracked', () => {
    const rows = readFileSync('results/MANIFEST.tsv', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .slice(1)
      .map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const [path, bytes, sha, tensors, command] of rows) {
      expect(tensors, path).toMatch(/^[0-9a-f]{64}$/);
      expect(Number(bytes), path).toBeGreaterThan(0);
      expect(sha, path).toMatch(/^[0-9a-f]{64}$/);
      expect(command, path).toMatch(/^node bin\/sparsegrad\.js \w+ .*--out \S+/);
      expect(tracked, path).not.toContain(path);
    }
  });
});

describe('the documentation', () => {
  it('the README is at most 150 lines and the docs index links every doc', () => {
    expect(readFileSync('README.md', 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(150);
    const index = readFileSync('docs/README.md', 'utf8');
    const docs = execFileSync('git', ['ls-files', 'docs/*.md'], { encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && f !== 'docs/README.md' && !f.startsWith('docs/notes/'));
    expect(docs.filter((f) => !index.includes(f.slice('docs/'.length)))).toEqual([]);
  });
});
