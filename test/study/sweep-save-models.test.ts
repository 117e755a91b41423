import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { buildNode } from '../../scripts/build.mjs';
import { cliRunner } from '../cli/run-cli';
import { readBytes } from '../../src/io/files';
import { loadModelBytes } from '../../src/nn/model';
import { accuracy } from '../../src/nn/evaluate';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';

useGpu();
beforeAll(() => buildNode({ sparsegrad: 'src/cli/main.ts' }));

// sweep --save-models keeps the models behind a sweep's rows (the fine-tuned ones exist nowhere
// else): each file, loaded back, has the row's sparsity and clean accuracy; kept gzip-compressed,
// it reads the same under either name.
describe('sweep --save-models', () => {
  it('writes each measured model, which reproduces its row; a .gz copy reads the same', async () => {
    const base = mkdtempSync(join(tmpdir(), 'save-models-'));
    const { run } = cliRunner('save-models');
    const trained = join(base, 'train');
    const t = run([
      'train',
      '--hidden',
      '24',
      '--iterations',
      '60',
      '--eval-every',
      '0',
      '--batch',
      '50',
      '--kernels',
      'rules',
      '--no-progress',
      '--out',
      trained,
    ]);
    expect(t.status, t.stderr).toBe(0);
    const out = join(base, 'sweep');
    const s = run([
      'sweep',
      '--model',
      join(trained, 'model.safetensors'),
      '--method',
      'abs,act',
      '--ratios',
      '0.5,0.9',
      '--fine-tune',
      '20',
      '--save-models',
      '--test-images',
      '500',
      '--kernels',
      'rules',
      '--out',
      out,
    ]);
    expect(s.status, s.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).rows as {
      method: string;
      ratio: number;
      accuracy: number;
      sparsity: number[];
      noise: string;
    }[];
    const files = readdirSync(join(out, 'models')).sort();
    expect(files).toEqual([
      'abs-per-matrix-0.5.safetensors',
      'abs-per-matrix-0.9.safetensors',
      'act-per-matrix-0.5.safetensors',
      'act-per-matrix-0.9.safetensors',
    ]);
    const test = take(loadEmbedded().test, 500);
    for (const row of rows.filter((r) => r.noise === 'clean')) {
      const file = join(out, 'models', `${row.method}-per-matrix-${row.ratio}.safetensors`);
      const { model, masks } = loadModelBytes(readBytes(file), file);
      expect(await accuracy(model, test), file).toBe(row.accuracy);
      const pruned = masks!.map((m) => m!.reduce((n, k) => n + (k ? 0 : 1), 0) / m!.length);
      pruned.forEach((p, i) => expect(p).toBeCloseTo(row.sparsity[i], 6));
      // Fine-tuned under the mask: pruned weights are still 0.
      const w = await model.weights[0].read();
      masks![0]!.forEach((k, i) => k || expect(w[i]).toBe(0));
      model.dispose();
    }
    const one = join(out, 'models', 'act-per-matrix-0.9.safetensors');
    const gz = join(base, 'copy.safetensors');
    writeFileSync(`${gz}.gz`, gzipSync(readFileSync(one)));
    expect(Buffer.from(readBytes(gz)).equals(readFileSync(one))).toBe(true); // by its plain name
    expect(Buffer.from(readBytes(`${gz}.gz`)).equals(readFileSync(one))).toBe(true);
    writeFileSync(join(base, 'cut.safetensors.gz'), gzipSync(readFileSync(one)).subarray(0, 1000));
    expect(() => readBytes(join(base, 'cut.safetensors.gz'))).toThrow(/cut\.safetensors\.gz: not a complete gzip file/);
    // The CLI reads the compressed checkpoint by its plain name.
    const e = run(['eval', '--model', gz, '--test-images', '500', '--out', join(base, 'eval.json')]);
    expect(e.status, e.stderr).toBe(0);
    const clean = rows.find((r) => r.method === 'act' && r.ratio === 0.9 && r.noise === 'clean')!.accuracy;
    expect(JSON.parse(readFileSync(join(base, 'eval.json'), 'utf8')).noise[0].accuracy).toBe(clean);
  }, 300_000);
});
