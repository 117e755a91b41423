import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode } from '../../scripts/build.mjs';
import { CLI, cliRunner } from './run-cli';

// Checkpoints are transactions and run folders have one writer: kills at every write boundary
// of a checkpoint, then a rerun, give the files of an uninterrupted run; concurrent runs into
// one folder are refused, not interleaved.
const { env } = cliRunner('crash');
const cli = CLI;
const TRAIN = [
  'train',
  '--hidden',
  '16',
  '--iterations',
  '60',
  '--eval-every',
  '20',
  '--batch',
  '50',
  '--kernels',
  'rules',
];
const train = (out: string, extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...TRAIN, '--out', out], { encoding: 'utf8', env: env(extra) });
const FILES = ['model.safetensors', 'optimizer.safetensors', 'history.csv'];
const snapshot = (dir: string) => {
  const json = JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8'));
  return {
    files: Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f)).toString('base64')])),
    json: { status: json.status, iteration: json.iteration, history: json.history, config: json.config },
  };
};
const work = mkdtempSync(join(tmpdir(), 'crash-'));
let reference: ReturnType<typeof snapshot>;

beforeAll(async () => {
  await buildNode({ sparsegrad: 'src/cli/main.ts' });
  const r = train(join(work, 'reference'));
  expect(r.status, r.stderr).toBe(0);
  reference = snapshot(join(work, 'reference'));
}, 120_000);

describe('a checkpoint is one transaction', () => {
  const points = [
    ...FILES.concat('train.json').map((f) => `written:${f}`),
    'committed',
    ...FILES.concat('train.json').map((f) => `renamed:${f}`),
  ];
  for (const point of points)
    it(`SIGKILL at ${point} of the second checkpoint, then a rerun: the files of an uninterrupted run`, () => {
      const out = join(work, point.replace(/\W/g, '-'));
      const killed = train(out, { SPARSEGRAD_KILL_AT: `${point}@2` });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const again = train(out);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(
        point.startsWith('written') ? /resuming .* from iteration 20/ : /resuming .* from iteration 40/,
      );
      expect(snapshot(out)).toEqual(reference);
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp') || f === 'commit.json')).toEqual([]);
    });
});

describe('imp shares the transaction', () => {
  const IMP = [
    'imp',
    '--hidden',
    '16',
    '--iterations',
    '20',
    '--eval-every',
    '10',
    '--rounds',
    '1',
    '--kernels',
    'rules',
  ];
  const imp = (out: string, extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...IMP, '--out', out], { encoding: 'utf8', env: env(extra) });
  const impSnapshot = (dir: string) => ({
    rounds: [0, 1].map((r) => snapshot(join(dir, `round-${r}`))),
    rows: JSON.parse(readFileSync(join(dir, 'imp.json'), 'utf8')).rows.map(
      ({ trainMs: _t, ...row }: Record<string, unknown>) => row,
    ),
  });
  let want: ReturnType<typeof impSnapshot>;
  beforeAll(() => {
    const r = imp(join(work, 'imp-reference'));
    expect(r.status, r.stderr).toBe(0);
    want = impSnapshot(join(work, 'imp-reference'));
  }, 120_000);
  // The third transaction is round 1's first checkpoint (round 0 made two).
  for (const point of ['written:model.safetensors', 'committed', 'renamed:train.json'])
    it(`SIGKILL at ${point} of round 1's first checkpoint, then a rerun: the rounds of an uninterrupted run`, () => {
      const out = join(work, `imp-${point.replace(/\W/g, '-')}`);
      const killed = imp(out, { SPARSEGRAD_KILL_AT: `${point}@3` });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const again = imp(out);
      expect(again.status, again.stderr).toBe(0);
      expect(impSnapshot(out)).toEqual(want);
    });
});

describe('the study shares the transaction', () => {
  const STUDY = [
    'study',
    '--iterations',
    '60',
    '--ratios',
    '0,0.5',
    '--sweeps',
    'per-matrix',
    '--adaptive-steps',
    '3',
    '--pgd-steps',
    '2',
    '--pgd-images',
    '50',
    '--kernels',
    'rules',
  ];
  it("SIGKILL as the seed model's checkpoint commits, then a rerun: the uninterrupted study's robustness.csv and sweeps", () => {
    const reference = join(work, 'study-reference');
    const r = spawnSync(process.execPath, [cli, ...STUDY, '--out', reference], { encoding: 'utf8', env: env() });
    expect(r.status, r.stderr).toBe(0);
    const out = join(work, 'study-killed');
    const killed = spawnSync(process.execPath, [cli, ...STUDY, '--out', out], {
      encoding: 'utf8',
      env: env({ SPARSEGRAD_KILL_AT: 'committed@1' }),
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const again = spawnSync(process.execPath, [cli, ...STUDY, '--out', out], { encoding: 'utf8', env: env() });
    expect(again.status, again.stderr).toBe(0);
    const csv = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8').replaceAll(dir, '<out>');
    for (const f of ['robustness.csv', 'sweep-per-matrix/sweep.csv', 'model-seed1/model.safetensors'])
      expect(csv(out, f), f).toBe(csv(reference, f));
  }, 300_000);
});

describe('one run per folder', () => {
  it('a second run into a folder in use is refused in one line naming the holder; the first finishes', async () => {
    const out = join(work, 'busy');
    const first = spawn(process.execPath, [cli, ...TRAIN, '--iterations', '400', '--out', out], { env: env() });
    const done = new Promise<number>((r) => first.on('exit', (code) => r(code ?? -1)));
    while (!existsSync(join(out, '.lock'))) await new Promise((r) => setTimeout(r, 50));
    const second = train(out);
    expect(second.status).toBe(2);
    expect(second.stderr.trim()).toMatch(
      new RegExp(
        `^sparsegrad: ${out}: in use by sparsegrad train \\(pid ${first.pid} on ${hostname()}, since .*\\); wait for it or use another --out$`,
      ),
    );
    expect(await done).toBe(0);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('a lock left by a process that is gone is taken over', () => {
    const out = join(work, 'stale');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    train(out); // a finished run in the folder
    writeFileSync(
      join(out, '.lock'),
      JSON.stringify({ pid: Number(gone.stdout), host: hostname(), command: 'x', since: 'then' }),
    );
    const r = spawnSync(process.execPath, [cli, ...TRAIN, '--iterations', '80', '--out', out], {
      encoding: 'utf8',
      env: env(),
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it('20 runs launched at once into one folder: the others refused or finding it finished, one consistent result', async () => {
    const out = join(work, 'crowd');
    const runs = Array.from(
      { length: 20 },
      () =>
        new Promise<{ code: number; err: string }>((r) => {
          const p = spawn(process.execPath, [cli, ...TRAIN, '--out', out], { env: env() });
          let err = '';
          p.stderr.on('data', (d) => (err += d));
          p.on('exit', (code) => r({ code: code ?? -1, err }));
        }),
    );
    const results = await Promise.all(runs);
    for (const r of results) {
      expect([0, 2], r.err).toContain(r.code);
      if (r.code === 2) expect(r.err).toMatch(/in use by sparsegrad train/);
    }
    expect(results.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(1);
    expect(snapshot(out)).toEqual(reference);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp') || f === 'commit.json' || f.startsWith('.lock'))).toEqual(
      [],
    );
  }, 300_000);
});
