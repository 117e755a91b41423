import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode } from '../../scripts/build.mjs';
import { cliRunner, treeHashes } from './run-cli';

// Settings are part of a run's identity: a command never reuses or overwrites results made
// with other settings or another model; it says which setting differs, changes no file, and
// starts over only with --force.
const { run: runArgs } = cliRunner('identity');
const run = (...args: string[]) => runArgs(args);
const work = mkdtempSync(join(tmpdir(), 'identity-'));
const hashes = (dir: string) => treeHashes(dir);
const refused = (r: ReturnType<typeof run>, message: RegExp) => {
  expect(r.status, r.stdout + r.stderr).toBe(2);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('Warning:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
};
const FAST = ['--kernels', 'rules'];
let model = '';
let other = '';

beforeAll(async () => {
  await buildNode({ sparsegrad: 'src/cli/main.ts' });
  for (const [seed, dir] of [
    ['1', 'm1'],
    ['2', 'm2'],
  ]) {
    const r = run(
      'train',
      '--hidden',
      '8',
      '--iterations',
      '10',
      '--eval-every',
      '0',
      '--batch',
      '50',
      '--seed',
      seed,
      ...FAST,
      '--out',
      join(work, dir),
    );
    expect(r.status, r.stderr).toBe(0);
  }
  model = join(work, 'm1/model.safetensors');
  other = join(work, 'm2/model.safetensors');
}, 120_000);

describe('results belong to their settings', () => {
  it('imp: another --per-round into the same folder is refused, naming it; --force starts over', () => {
    const out = join(work, 'imp');
    const base = [
      'imp',
      '--hidden',
      '8',
      '--iterations',
      '20',
      '--eval-every',
      '10',
      '--rounds',
      '1',
      ...FAST,
      '--out',
      out,
    ];
    expect(run(...base, '--per-round', '0.5').status).toBe(0);
    const before = hashes(out);
    refused(
      run(...base, '--per-round', '0.2'),
      /imp-settings\.json: made with perRound = 0\.5, this run has 0\.2; use another --out, or --force/,
    );
    expect(hashes(out)).toEqual(before);
    const forced = run(...base, '--per-round', '0.2', '--force');
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/round 1: (19\.99|20\.00)% pruned/);
  });

  it('noise: files made on another model or with other steps are not overwritten', () => {
    const out = join(work, 'noise');
    const base = ['noise', '--target', '3', '--limit', '0.2', '--steps', '5', '--out', out];
    expect(run(...base, '--model', model).status).toBe(0);
    const before = hashes(out);
    refused(
      run(...base, '--model', other),
      /noise-t3-l0\.2\.json: made with model = ".*m1\/model\.safetensors", this run has ".*m2\/model\.safetensors"/,
    );
    refused(
      run('noise', '--target', '3', '--limit', '0.2', '--steps', '6', '--out', out, '--model', model),
      /made with settings\.steps = 5, this run has 6/,
    );
    expect(hashes(out)).toEqual(before);
    expect(run(...base, '--model', other, '--force').status).toBe(0);
  });

  it('prune: --out can never be the model it reads, nor an existing file without --force', () => {
    const before = hashes(join(work, 'm1'));
    refused(
      run('prune', '--model', model, '--ratio', '0.5', '--out', model),
      /--out .*m1\/model\.safetensors is the input/,
    );
    expect(hashes(join(work, 'm1'))).toEqual(before);
    const out = join(work, 'pruned.safetensors');
    expect(run('prune', '--model', model, '--ratio', '0.5', '--out', out).status).toBe(0);
    refused(
      run('prune', '--model', model, '--ratio', '0.7', '--out', out),
      /--out .*pruned\.safetensors exists; give another file, or --force/,
    );
    expect(run('prune', '--model', model, '--ratio', '0.7', '--out', out, '--force').status).toBe(0);
  });

  it('eval: results of another model are not overwritten', () => {
    const out = join(work, 'eval.json');
    expect(run('eval', '--model', model, '--test-images', '50', '--out', out).status).toBe(0);
    const before = readFileSync(out, 'utf8');
    refused(run('eval', '--model', other, '--test-images', '50', '--out', out), /eval\.json: made with model = /);
    refused(
      run('eval', '--model', model, '--test-images', '60', '--out', out),
      /eval\.json: made with data = "embedded \(first 50 test images\)", this run has "embedded \(first 60 test images\)"/,
    );
    expect(readFileSync(out, 'utf8')).toBe(before);
  });
});
