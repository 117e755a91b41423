import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { impMasks, impSparsity, rewoundModel, runImp } from '../../src/study/imp';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/nn/config';
import { trainModel } from '../../src/nn/train';
import { modelFromSafetensors } from '../../src/nn/checkpoint';
import { loadEmbedded } from '../../src/data/node-loader';
import { decodeSafetensors } from '../../src/io/safetensors';
import { buildNode } from '../../scripts/build.mjs';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

const config: TrainConfig = { ...DEFAULT_CONFIG, hidden: [48, 24], batch: 50, iterations: 40, evalEvery: 20, seed: 3 };

describe('iterative magnitude pruning', () => {
  it("masks keep the largest |w| among the weights still there, lose ones only, and hit each round's sparsity exactly", () => {
    const w = [Float32Array.from([0.5, -0.1, 0.3, -0.9, 0.05, 0.2, -0.4, 0.7])];
    const m1 = impMasks(w, null, impSparsity(0.5, 1), { kind: 'per-matrix' });
    expect(Array.from(m1[0])).toEqual([1, 0, 0, 1, 0, 0, 1, 1]);
    // Round 2 (75%): a pruned weight that grew back in value stays pruned.
    const grown = [Float32Array.from([0.5, 5, 0.3, -0.9, 0.05, 0.2, -0.4, 0.7])];
    const m2 = impMasks(grown, m1, impSparsity(0.5, 2), { kind: 'per-matrix' });
    expect(Array.from(m2[0])).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    expect(impSparsity(0.2, 3)).toBeCloseTo(1 - 0.8 ** 3, 15);
  });

  it('rewinding restores the stated weights bit for bit: the iteration-k weights of the dense run, 0 where pruned', async () => {
    const data = loadEmbedded();
    const dir = mkdtempSync(join(tmpdir(), 'imp-'));
    const rows = await runImp(
      { config, rounds: 2, perRound: 0.5, rewind: 10, scope: { kind: 'global' } },
      data,
      dir,
      backend().gpu.adapter,
      () => {},
    );
    expect(rows.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(rows[2].pruned).toBe(Math.round(0.75 * rows[2].weights));
    // The rewind file holds exactly what 10 plain iterations with the same settings give.
    const plain = await trainModel({ ...config, iterations: 10, evalEvery: 0 }, data);
    const rewind = modelFromSafetensors(readFileSync(join(dir, 'rewind.safetensors')), 'rewind').model;
    for (let i = 0; i < plain.model.params.length; i++) {
      expect(new Uint32Array((await rewind.params[i].tensor.read()).buffer)).toEqual(
        new Uint32Array((await plain.model.params[i].tensor.read()).buffer),
      );
    }
    // A pruned round's start: those bits under its mask.
    const round2 = modelFromSafetensors(readFileSync(join(dir, 'round-2/model.safetensors')), 'round-2');
    const start = await rewoundModel(
      join(dir, 'rewind.safetensors'),
      round2.masks!.map((m) => m!),
    );
    for (const [m, w] of start.weights.entries()) {
      const got = await w.read(),
        want = await rewind.weights[m].read(),
        mask = round2.masks![m]!;
      got.forEach((v, i) => expect(Object.is(v, mask[i] ? want[i] : 0)).toBe(true));
    }
    // …and the trained round kept its pruned weights at 0.
    const trained = await round2.model.weights[0].read();
    round2.masks![0]!.forEach((k, i) => {
      if (!k) expect(trained[i]).toBe(0);
    });
    [plain.model, rewind, round2.model, start].forEach((n) => n.dispose());
  });

  it('killed (SIGKILL) in the middle of a round and run again, it writes the same files as a run never killed', async () => {
    await buildNode({ sparsegrad: 'src/cli/main.ts' });
    const cli = join(process.cwd(), 'dist/sparsegrad.js');
    const args = (out: string) => [
      cli,
      'imp',
      '--hidden',
      '40,20',
      '--iterations',
      '60',
      '--eval-every',
      '10',
      '--rounds',
      '2',
      '--per-round',
      '0.4',
      '--rewind',
      '5',
      '--seed',
      '2',
      '--out',
      out,
    ];
    const base = mkdtempSync(join(tmpdir(), 'imp-kill-'));
    const whole = spawnSync(process.execPath, args(join(base, 'whole')), { encoding: 'utf8' });
    expect(whole.status, whole.stderr).toBe(0);
    const killedDir = join(base, 'killed');
    const child = spawn(process.execPath, args(killedDir), { stdio: 'ignore' });
    // Kill once round 1 has written its first checkpoint.
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(join(killedDir, 'round-1/train.json'))) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        } else if (Date.now() - started > 120_000) {
          clearInterval(poll);
          child.kill('SIGKILL');
          reject(new Error('round 1 never started'));
        }
      }, 20);
    });
    await new Promise((r) => child.on('exit', r));
    expect(JSON.parse(readFileSync(join(killedDir, 'round-1/train.json'), 'utf8')).status).toBe('running');
    const again = spawnSync(process.execPath, args(killedDir), { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    for (const f of [
      'rewind.safetensors',
      'round-0/model.safetensors',
      'round-1/model.safetensors',
      'round-2/model.safetensors',
      'round-2/optimizer.safetensors',
    ]) {
      const [a, b] = [join(base, 'whole', f), join(killedDir, f)].map(
        (p) => decodeSafetensors(readFileSync(p), p).arrays,
      );
      expect(
        b.map((x) => x.name),
        f,
      ).toEqual(a.map((x) => x.name));
      a.forEach((x, i) =>
        expect(Buffer.from(b[i].data.buffer).equals(Buffer.from(x.data.buffer)), `${f} ${x.name}`).toBe(true),
      );
    }
    const noTime = (p: string) =>
      readFileSync(p, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, -1).join(','));
    expect(noTime(join(killedDir, 'imp.csv'))).toEqual(noTime(join(base, 'whole', 'imp.csv')));
    // Committed results keep a round's train.json gzip-compressed: a rerun reads it as finished
    // and trains nothing again.
    const wholeDir = join(base, 'whole');
    for (const r of [0, 1, 2]) {
      const f = join(wholeDir, `round-${r}/train.json`);
      writeFileSync(`${f}.gz`, gzipSync(readFileSync(f)));
      rmSync(f);
    }
    const trained = statSync(join(wholeDir, 'round-2/model.safetensors')).mtimeMs;
    const rerun = spawnSync(process.execPath, args(wholeDir), { encoding: 'utf8' });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(statSync(join(wholeDir, 'round-2/model.safetensors')).mtimeMs).toBe(trained);
    expect(existsSync(join(wholeDir, 'round-2/train.json'))).toBe(false);
    expect(noTime(join(wholeDir, 'imp.csv'))).toEqual(noTime(join(killedDir, 'imp.csv')));
  });
});
