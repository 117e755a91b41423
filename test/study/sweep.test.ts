import { describe, expect, it, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { modelToSafetensors } from '../../src/nn/checkpoint';
import { makeNoise, DEFAULT_NOISE } from '../../src/adversarial/noise';
import { saveNoise } from '../../src/adversarial/noise-files';
import { buildNode } from '../../scripts/build.mjs';

useGpu();

const root = mkdtempSync(join(tmpdir(), 'sweep-'));
const model = join(root, 'model.safetensors');
let noiseFile = '';
const cli = join(process.cwd(), 'dist/sparsegrad.js');

function sweepArgs(out: string, extra: string[] = []): string[] {
  return [
    cli,
    'sweep',
    '--model',
    model,
    '--noise',
    noiseFile,
    '--method',
    'abs,act',
    '--scope',
    'per-matrix,layer:1',
    '--ratios',
    '0:0.95:0.05',
    '--calibration',
    '500',
    '--out',
    out,
    ...extra,
  ];
}
function run(out: string, extra: string[] = []): void {
  const r = spawnSync(process.execPath, sweepArgs(out, extra), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sweep failed (${r.status}): ${r.stderr}`);
}
const read = (dir: string) => ({
  csv: readFileSync(join(dir, 'sweep.csv'), 'utf8'),
  json: readFileSync(join(dir, 'sweep.json'), 'utf8'),
});

beforeAll(async () => {
  await buildNode({ sparsegrad: 'src/cli/main.ts' });
  const all = loadEmbedded();
  const data = { train: take(all.train, 1000), test: all.test, name: 'embedded' };
  const { model: net, config } = await trainModel(
    { ...DEFAULT_CONFIG, hidden: [48, 24], iterations: 60, batch: 50, evalEvery: 0 },
    data,
  );
  writeFileSync(model, await modelToSafetensors(net, config));
  const s = { ...DEFAULT_NOISE, target: 3, limit: 0.2, steps: 30 };
  noiseFile = saveNoise(root, await makeNoise(net, data.train, s), s, model, data.test)[0];
  net.dispose();
});

describe('sweep files', () => {
  it('a sweep killed midway (SIGKILL) and rerun ends with the same files as an uninterrupted one; two shards merged equal one run', async () => {
    const whole = join(root, 'whole');
    run(whole);
    const want = read(whole);
    expect(want.csv.trim().split('\n').length).toBe(1 + 2 * 2 * 20 * 2); // header + units × (clean + 1 noise)

    const killed = join(root, 'killed');
    const child = spawn(process.execPath, sweepArgs(killed), { stdio: 'ignore' });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const csv = join(killed, 'sweep.csv');
        if (existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length > 30) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
    });
    await new Promise((r) => child.on('exit', r));
    const partial = read(killed).csv.split('\n').length;
    expect(partial).toBeLessThan(want.csv.split('\n').length); // it really stopped early
    run(killed);
    expect(read(killed)).toEqual(want);

    // A last row torn by a kill mid-append (here cut inside its adapter column, where it still
    // parses) is redone, not kept.
    const torn = join(root, 'torn');
    run(torn);
    const csvFile = join(torn, 'sweep.csv');
    const full = readFileSync(csvFile, 'utf8');
    writeFileSync(csvFile, full.slice(0, full.length - 20));
    run(torn);
    expect(read(torn)).toEqual(want);

    const shards = [0, 1].map((i) => join(root, `shard${i}`));
    shards.forEach((dir, i) => run(dir, ['--shard', `${i}/2`]));
    const merged = join(root, 'merged');
    const r = spawnSync(process.execPath, [cli, 'merge', '--out', merged, ...shards], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(read(merged)).toEqual(want);
  });
});

describe('adaptive sweep', () => {
  it('attacks each pruned model at the adaptive ratios only, names every attack, measures validation, and resumes to the same files', async () => {
    const out = join(root, 'adaptive');
    const extra = [
      '--validation',
      '200',
      '--adaptive-ratios',
      '0,0.5',
      '--adaptive-steps',
      '5',
      '--pgd',
      '0.1',
      '--pgd-steps',
      '3',
      '--pgd-loss',
      'ce,margin',
      '--pgd-images',
      '50',
    ];
    const args = [
      cli,
      'sweep',
      '--model',
      model,
      '--noise',
      noiseFile,
      '--method',
      'abs,pixel-mask',
      '--scope',
      'layer:1',
      '--ratios',
      '0,0.5,0.9',
      '--calibration',
      '300',
      '--out',
      out,
      ...extra,
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).rows as {
      method: string;
      ratio: number;
      attack: string;
      split: string;
      noise: string;
      flags: string;
    }[];
    const at = (method: string, ratio: number) => rows.filter((x) => x.method === method && x.ratio === ratio);
    // clean test + clean validation + 1 transfer; adaptive: 2 recipes + worst for the vector, pgd-ce, pgd-margin, worst.
    expect(at('abs', 0.9).map((x) => `${x.attack}/${x.split}`)).toEqual([
      'clean/test',
      'transfer/test',
      'clean/validation',
    ]);
    expect(at('abs', 0.5).map((x) => `${x.attack} ${x.noise}`)).toEqual([
      'clean clean',
      'transfer 3/0.2',
      'clean clean',
      'universal:study 3/0.2',
      'universal:no-penalty 3/0.2',
      'worst 3/0.2',
      'pgd-ce pgd ε=0.1',
      'pgd-margin pgd ε=0.1',
      'worst pgd ε=0.1',
    ]);
    expect(at('pixel-mask', 0.5)).toHaveLength(9);
    // The worst case is no better than any attack it covers.
    for (const [method, ratio] of [
      ['abs', 0.5],
      ['pixel-mask', 0],
      ['pixel-mask', 0.5],
    ] as const) {
      const u = at(method, ratio);
      const acc = (a: string, noise: string) =>
        (u.find((x) => x.attack === a && x.noise === noise) as unknown as { accuracy: number }).accuracy;
      for (const a of ['transfer', 'universal:study', 'universal:no-penalty'])
        expect(acc('worst', '3/0.2')).toBeLessThanOrEqual(acc(a, '3/0.2'));
      for (const a of ['pgd-ce', 'pgd-margin'])
        expect(acc('worst', 'pgd ε=0.1')).toBeLessThanOrEqual(acc(a, 'pgd ε=0.1'));
    }
    const before = readFileSync(join(out, 'sweep.csv'), 'utf8');
    expect(before.split('\n')[0]).toContain('attack,split,noise_mean_abs,flags');
    const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(again.stdout).toContain('6 already done');
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8')).toBe(before);
    const bad = spawnSync(process.execPath, [...args.slice(0, -extra.length), '--adaptive-ratios', '0.3'], {
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--adaptive-ratios 0.3: 0.3 is not one of the sweep's ratios/);
  });
  it('--validation-from test holds out the last test images, which the reported test set then leaves out', () => {
    const out = join(root, 'val-from-test');
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'sweep',
        '--model',
        model,
        '--method',
        'abs',
        '--ratios',
        '0',
        '--validation',
        '300',
        '--validation-from',
        'test',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(j.data).toMatch(/first 1704 test images; last 300 for validation/);
    expect(j.rows.map((x: { split: string }) => x.split)).toEqual(['test', 'validation']);
    // The unpruned model always meets the drop rule: ratio 0 is chosen.
    expect(JSON.parse(readFileSync(join(out, 'chosen.json'), 'utf8')).chosen).toEqual([
      { seed: expect.any(Number), method: 'abs', scope: 'per-matrix', ratio: 0 },
    ]);
  });
});
