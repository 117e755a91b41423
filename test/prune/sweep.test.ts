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
  return [cli, 'sweep', '--model', model, '--noise', noiseFile, '--method', 'abs,act', '--scope', 'per-matrix,layer:1', '--ratios', '0:0.95:0.05', '--calibration', '500', '--out', out, ...extra];
}
function run(out: string, extra: string[] = []): void {
  const r = spawnSync(process.execPath, sweepArgs(out, extra), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sweep failed (${r.status}): ${r.stderr}`);
}
const read = (dir: string) => ({ csv: readFileSync(join(dir, 'sweep.csv'), 'utf8'), json: readFileSync(join(dir, 'sweep.json'), 'utf8') });

beforeAll(async () => {
  await buildNode({ sparsegrad: 'src/cli/main.ts' });
  const all = loadEmbedded();
  const data = { train: take(all.train, 1000), test: all.test, name: 'embedded' };
  const { model: net, config } = await trainModel({ ...DEFAULT_CONFIG, hidden: [48, 24], iterations: 60, batch: 50, evalEvery: 0 }, data);
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
        if (existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length > 30) { clearInterval(poll); child.kill('SIGKILL'); resolve(); }
      }, 20);
    });
    await new Promise((r) => child.on('exit', r));
    const partial = read(killed).csv.split('\n').length;
    expect(partial).toBeLessThan(want.csv.split('\n').length); // it really stopped early
    run(killed);
    expect(read(killed)).toEqual(want);

    const shards = [0, 1].map((i) => join(root, `shard${i}`));
    shards.forEach((dir, i) => run(dir, ['--shard', `${i}/2`]));
    const merged = join(root, 'merged');
    const r = spawnSync(process.execPath, [cli, 'merge', '--out', merged, ...shards], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(read(merged)).toEqual(want);
  });
});
