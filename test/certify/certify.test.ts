import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { buildNode } from '../../scripts/build.mjs';
import { cliRunner } from '../cli/run-cli';
import { readBytes } from '../../src/io/files';
import { loadModelBytes } from '../../src/nn/model';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { certifyModel } from '../../src/certify/certify';
import { DEFAULT_SUITE } from '../../src/adversarial/suite';
import { Sequential, nn, sequentialToSafetensors } from '../../src/nn/modules';

useGpu();
beforeAll(() => buildNode({ sparsegrad: 'src/cli/main.ts' }));

const MODEL = 'results/study-embedded/model-seed1/model.safetensors';

describe('certify on a trained model', () => {
  it('over 1,000 test images: no image certified by IBP or CROWN is one PGD fools; CROWN certifies at least what IBP does', async () => {
    const { model } = loadModelBytes(readBytes(MODEL), MODEL);
    const test = take(loadEmbedded().test, 1000);
    const attacks = { ...DEFAULT_SUITE, steps: 20, losses: ['ce' as const, 'margin' as const] };
    const { clean, rows, images } = await certifyModel(model, test, [0.01, 0.02], ['ibp', 'crown'], attacks);
    expect(clean).toBeGreaterThan(0.9);
    for (const at of images) {
      const { ibp, crown } = at.lowest as { ibp: Float32Array; crown: Float32Array };
      const broken = at.broken!;
      const certifiedAndBroken = [ibp, crown].map((b) => b.filter((v, i) => v > 0 && broken[i] === 1).length);
      expect(certifiedAndBroken, `ε=${at.epsilon}`).toEqual([0, 0]);
      crown.forEach((c, i) => expect(c, `image ${i}`).toBeGreaterThanOrEqual(ibp[i]));
      const share = (m: string) => rows.find((r) => r.epsilon === at.epsilon && r.method === m)!.accuracy;
      expect(share('crown')).toBeGreaterThan(0.5); // informative at these ε, not a vacuous pass
      expect(share('crown')).toBeLessThanOrEqual(share('pgd'));
      expect(share('pgd')).toBeLessThanOrEqual(clean);
    }
    model.dispose();
  }, 300_000);
});

describe('sparsegrad certify', () => {
  const { run } = cliRunner('certify');
  it('writes the sandwich per ε (JSON) and every image (CSV); refuses a model it cannot bound in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certify-'));
    const out = join(dir, 'c.json');
    const r = run([
      'certify',
      '--model',
      MODEL,
      '--test-images',
      '30',
      '--eps',
      '0.01,0.02',
      '--pgd-steps',
      '5',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/certified \(ibp\)\s+certified \(crown\)\s+PGD \(upper\)\s+gap/);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.rows.map((x: { method: string }) => x.method)).toEqual(['ibp', 'crown', 'pgd', 'ibp', 'crown', 'pgd']);
    expect(json.adapter).toMatch(/\S/);
    expect(json.meaning).toMatch(/universal noise/);
    const csv = readFileSync(join(dir, 'c.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 2 * 2 * 30);
    const again = run(['certify', '--model', MODEL, '--test-images', '30', '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr.trim()).toBe(`sparsegrad: --out ${out} exists; give another file, or --force to overwrite it`);
    const pooled = new Sequential(
      [1, 28, 28],
      [nn.Conv2d(2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(10)],
      { seed: 1 },
    );
    writeFileSync(join(dir, 'pooled.safetensors'), await sequentialToSafetensors(pooled));
    const refused = run(['certify', '--model', join(dir, 'pooled.safetensors'), '--out', join(dir, 'p.json')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(
      /^sparsegrad: certify: layer 2 \(MaxPool2d\(2, 2, 0\)\) has no bound here: max-pooling is not affine and has no linear relaxation in this project yet; use AvgPool2d or a strided Conv2d$/,
    );
  }, 300_000);

  it('sweep --certify puts certified rows beside the attacks at each adaptive ratio: IBP ≤ CROWN ≤ the worst PGD on the same images', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sweep-certify-')), 'sweep');
    const r = run([
      'sweep',
      '--model',
      MODEL,
      '--method',
      'abs',
      '--ratios',
      '0,0.8',
      '--adaptive-ratios',
      'all',
      '--adaptive-recipes',
      'study',
      '--adaptive-steps',
      '3',
      '--pgd',
      '0.02',
      '--pgd-steps',
      '10',
      '--pgd-images',
      '200',
      '--certify',
      '0.02',
      '--kernels',
      'rules',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).rows as {
      ratio: number;
      attack: string;
      accuracy: number;
      noise: string;
    }[];
    for (const ratio of [0, 0.8]) {
      const at = (attack: string) => rows.find((x) => x.ratio === ratio && x.attack === attack)!;
      expect(at('certified-ibp').noise).toBe('certified ε=0.02 (first 200)');
      expect(at('certified-ibp').accuracy).toBeLessThanOrEqual(at('certified-crown').accuracy);
      expect(at('certified-crown').accuracy).toBeLessThanOrEqual(at('worst').accuracy);
      expect(at('certified-crown').accuracy).toBeGreaterThan(0.5);
    }
  }, 300_000);
});
