import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng, useGpu } from '../helpers';
import { smallNet } from '../adversarial/small-net';
import { refPgdIterates } from '../ref/attack-ref';
import { Tensor, tidy } from '../../src/tensor/tensor';
import { seededRandom } from '../../src/nn/random';
import { adversarialBatch, catastrophicOverfitting } from '../../src/adversarial/training';
import { parseAdversarial } from '../../src/cli/options';
import { dataLoss, trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { buildNode } from '../../scripts/build.mjs';
import { CLI } from '../cli/run-cli';

useGpu();

const P = 12,
  n = 16;
function images(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * P }, () => {
    const u = r();
    return u < 0.4 ? 0 : u > 0.85 ? 1 : Math.fround(r());
  });
}

describe('adversarial training batches against the float64 reference attack', () => {
  for (const loss of ['quadratic', 'softmax-ce'] as const)
    for (const spec of ['fgsm-rs:0.1', 'pgd:0.1,4'])
      it(`${spec}, ${loss} loss: the batch is the reference's last iterate from the same random start`, async () => {
        const { layers, net } = smallNet(21);
        const a = parseAdversarial(spec);
        const config = { ...DEFAULT_CONFIG, loss };
        const x = images(3);
        const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);
        const seed = 5,
          draw = 12;
        const got = await tidy(() =>
          adversarialBatch(
            net,
            a,
            (y, t) => dataLoss(config, y, t),
            Tensor.fromArray(x, [n, P]),
            labels,
            seed,
            draw,
          ).keep(),
        ).read();
        // The start the engine draws: uniform in [−ε, ε] per pixel, keyed by (seed, iteration).
        const random = seededRandom((seed * 1_000_003 + draw * 7919 + 17) >>> 0);
        const delta = Float64Array.from({ length: n * P }, () => Math.fround((2 * random() - 1) * a.epsilon));
        let compared = 0;
        for (let i = 0; i < n; i++) {
          const xi = Float64Array.from(x.subarray(i * P, (i + 1) * P));
          const start = xi.map((v, j) => Math.min(1, Math.max(0, Math.fround(v + delta[i * P + j]))));
          const ref = refPgdIterates(xi, start, labels[i], layers, {
            epsilon: a.epsilon,
            steps: a.steps,
            stepSize: a.stepSize,
            loss: loss === 'quadratic' ? 'quadratic' : 'ce',
            target: null,
          });
          if (ref.minAbsGrad < 1e-5) continue; // a sign the two precisions may read differently
          const want = ref.iterates[a.steps];
          for (let j = 0; j < P; j++)
            expect(Math.abs(got[i * P + j] - want[j]), `image ${i} pixel ${j}`).toBeLessThan(1e-5);
          compared++;
        }
        expect(compared).toBeGreaterThan(n / 2);
        net.dispose();
      });

  it('memory is flat in the number of PGD steps: each step releases what it made', () => {
    const { net } = smallNet(3);
    const config = { ...DEFAULT_CONFIG, loss: 'softmax-ce' as const };
    const x = Tensor.fromArray(images(4), [n, P]).keep();
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const live = (steps: number) =>
      tidy(() => {
        const spec = { kind: 'pgd' as const, epsilon: 0.1, steps, stepSize: 0.25 / steps };
        adversarialBatch(net, spec, (y, t) => dataLoss(config, y, t), x, labels, 1, 1);
        return net.backend.memory().liveTensors;
      });
    const counts = [2, 20, 200].map(live);
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
    x.dispose();
    net.dispose();
  });

  it('trainModel refuses an adversarial config without the hook that makes its batches', async () => {
    const { net } = smallNet(4);
    const split = {
      train: { images: images(5), labels: new Uint8Array(n), count: n, pixels: P, shape: [P], source: 'x' },
      test: { images: images(6), labels: new Uint8Array(n), count: n, pixels: P, shape: [P], source: 'y' },
      name: 'tiny',
    };
    await expect(
      trainModel(
        { ...DEFAULT_CONFIG, adversarial: parseAdversarial('fgsm-rs:0.1'), iterations: 1, batch: 2 },
        split as never,
        { init: net as never },
      ),
    ).rejects.toThrow(/^trainModel: the config trains adversarially; pass options.batchHook/);
    net.dispose();
  });

  it('refuses a malformed spec in one line', () => {
    // ε = 1e-46 is 0 in float32; 10^20 steps would never end.
    for (const bad of [
      'fgsm:0.1',
      'pgd:0.1',
      'fgsm-rs:0',
      'fgsm-rs:0.1,3',
      'pgd:2,5',
      'fgsm-rs:1e-46',
      'pgd:0.1,1001',
      'pgd:0.1,99999999999999999999',
    ])
      expect(() => parseAdversarial(bad)).toThrow(/^--adversarial .*: use fgsm-rs:ε or pgd:ε,steps/);
  });
});

describe('catastrophic overfitting', () => {
  const h = (pairs: [number, number | undefined][]) =>
    pairs.map(([iteration, robustAccuracy]) => ({ iteration, robustAccuracy }));
  it('is the first evaluation more than 20 points below the best before it', () => {
    expect(
      catastrophicOverfitting(
        h([
          [500, 0.4],
          [1000, 0.45],
          [1500, 0.44],
        ]),
      ),
    ).toBeNull();
    expect(
      catastrophicOverfitting(
        h([
          [500, 0.4],
          [1000, 0.5],
          [1500, 0.31],
          [2000, 0.35],
        ]),
      ),
    ).toBeNull(); // 19 points below the best
    expect(
      catastrophicOverfitting(
        h([
          [500, 0.4],
          [1000, 0.5],
          [1500, 0.29],
          [2000, 0.02],
        ]),
      ),
    ).toEqual({
      iteration: 1500,
      robustAccuracy: 0.29,
      best: 0.5,
    });
    // Losses logged between evaluations carry no robust accuracy; a first low value is no fall.
    expect(
      catastrophicOverfitting(
        h([
          [20, undefined],
          [500, 0.05],
          [520, undefined],
          [1000, 0.3],
        ]),
      ),
    ).toBeNull();
    expect(catastrophicOverfitting([])).toBeNull();
  });
});

describe('train --adversarial', () => {
  beforeAll(() => buildNode({ sparsegrad: 'src/cli/main.ts' }));
  const args = (out: string) => [
    CLI,
    'train',
    '--hidden',
    '16',
    '--iterations',
    '60',
    '--eval-every',
    '20',
    '--batch',
    '50',
    '--adversarial',
    'pgd:0.1,3',
    '--kernels',
    'rules',
    '--no-progress',
    '--out',
    out,
  ];
  it('records PGD accuracy on held-out images at each evaluation; killed at its second checkpoint and rerun, it writes what an uninterrupted run writes', () => {
    const base = mkdtempSync(join(tmpdir(), 'adv-train-'));
    const whole = spawnSync(process.execPath, args(join(base, 'whole')), { encoding: 'utf8' });
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/adversarial training: pgd ε=0.1, 3 steps/);
    expect(whole.stdout).toMatch(/iteration 20: .*PGD-10 on 200 held-out \d+\.\d%/);
    const json = JSON.parse(readFileSync(join(base, 'whole/train.json'), 'utf8'));
    expect(json.config.adversarial).toEqual({ kind: 'pgd', epsilon: 0.1, steps: 3, stepSize: (2.5 * 0.1) / 3 });
    const evaluated = json.metrics.history.filter((h: { testAccuracy?: number }) => h.testAccuracy !== undefined);
    expect(evaluated.map((h: { robustAccuracy: number }) => typeof h.robustAccuracy)).toEqual([
      'number',
      'number',
      'number',
    ]);
    expect(json.metrics).toHaveProperty('catastrophicOverfitting');
    const killed = spawnSync(process.execPath, args(join(base, 'killed')), {
      encoding: 'utf8',
      env: { ...process.env, SPARSEGRAD_KILL_AT: 'committed@2' },
    });
    expect(killed.signal).toBe('SIGKILL');
    const again = spawnSync(process.execPath, args(join(base, 'killed')), { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/resuming .* from iteration 40/);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'history.csv'])
      expect(readFileSync(join(base, 'killed', f)).equals(readFileSync(join(base, 'whole', f))), f).toBe(true);
  }, 300_000);
});
