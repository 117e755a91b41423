import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { readBytes, readResult } from '../../src/io/files';
import { decodeSafetensors } from '../../src/io/safetensors';
import { loadModelBytes } from '../../src/nn/model';
import { foldPruneMasks } from '../../src/io/checkpoint';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/nn/config';
import { STUDY_PRESETS } from '../../src/study/study';
import { loadEmbedded } from '../../src/data/node-loader';
import { holdOut } from '../../src/data/dataset';

useGpu();

const checkpoints = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return checkpoints(path);
    // model.safetensors of a run, and the models a sweep saved (--save-models); gzip-compressed or not
    return /^model\.safetensors(\.gz)?$/.test(name) || /\/models\/[^/]+\.safetensors(\.gz)?$/.test(path)
      ? [path.replace(/\.gz$/, '')]
      : [];
  });
const same = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('the committed results', () => {
  const files = checkpoints('results');

  it('every committed model checkpoint loads into its module definition with every tensor unchanged', async () => {
    expect(files.length).toBeGreaterThanOrEqual(11); // the checkpoints a fresh clone holds (results/MANIFEST.tsv lists the rest)
    for (const file of files) {
      const bytes = readBytes(file);
      const { model, config } = loadModelBytes(bytes, file);
      const { arrays } = foldPruneMasks(decodeSafetensors(bytes, file).arrays, file);
      expect(model.params.map((p) => p.name).sort(), file).toEqual(arrays.map((a) => a.name).sort());
      for (const a of arrays) {
        const p = model.params.find((q) => q.name === a.name)!;
        // Subnormal weights load as 0 (flushSubnormals); everything else bit for bit.
        const want = a.data.map((v) => (a.name.endsWith('.weight') && Math.abs(v) < 2 ** -126 ? 0 : v));
        expect(same(await p.tensor.read(), Float32Array.from(want)), `${file}: ${a.name}`).toBe(true);
      }
      expect(config, file).not.toHaveProperty('keep'); // saved as a keep probability, read as dropout
      expect(config.dropout, file).toBeGreaterThanOrEqual(0);
      model.dispose();
    }
  });

  it("the main job's model (results/study-embedded, seed 1) reproduces bit for bit from the module definition", async () => {
    const full = loadEmbedded();
    const { train } = holdOut(full.train, STUDY_PRESETS.default.validation);
    const config: TrainConfig = {
      ...DEFAULT_CONFIG,
      ...STUDY_PRESETS.default.train,
      loss: 'quadratic',
      seed: 1,
      evalEvery: 0,
    };
    const { model } = await trainModel(config, { train, test: full.test, name: full.name });
    const file = 'results/study-embedded/model-seed1/model.safetensors';
    const { arrays } = decodeSafetensors(readBytes(file), file);
    for (const a of arrays) {
      const p = model.params.find((q) => q.name === a.name)!;
      expect(same(await p.tensor.read(), a.data), a.name).toBe(true);
    }
    model.dispose();
  });

  // The checkpoints behind headline figures (docs/findings.md): each holds the sparsity its table
  // states, its pruned weights are 0, and its run says it finished at the stated accuracy (the
  // accuracy itself needs full MNIST, which tests do not read: results/*/models.sh remeasures it).
  it('the checkpoints behind the headline figures hold the sparsity their tables state', async () => {
    const cases: [string, number[] | null][] = [
      ['results/fc-paper-finetune/abs-0.95/tuned/model.safetensors', [1117200, 1425000, 760000, 7600]],
      ['results/imp-lenet/run/round-0/model.safetensors', null],
      ['results/imp-lenet/run/round-7/model.safetensors', [210374]],
      ['results/imp-lenet/run/round-10/model.safetensors', [237618]],
      ['results/imp-lenet/run/round-12/model.safetensors', [247906]],
      ['results/adversarial-lenet/fgsm-rs/model.safetensors', null],
      ['results/imp-lenet/models-finetuned/models/abs-per-matrix-0.79.safetensors', [185808, 23700, 790]],
      ['results/imp-lenet/models-finetuned/models/abs-per-matrix-0.8926.safetensors', [209940, 26778, 893]],
      ['results/imp-lenet/models-finetuned/models/abs-per-matrix-0.9313.safetensors', [219042, 27939, 931]],
    ];
    for (const [file, pruned] of cases) {
      const { model, masks } = loadModelBytes(readBytes(file), file); // read from <file>.gz
      const counts = masks ? masks.map((m) => m!.reduce((n, k) => n + (k ? 0 : 1), 0)) : model.weights.map(() => 0);
      if (!pruned)
        expect(
          counts.every((c) => c === 0),
          file,
        ).toBe(true);
      else if (pruned.length === 1)
        expect(
          counts.reduce((a, b) => a + b, 0),
          file,
        ).toBe(pruned[0]);
      else expect(counts, file).toEqual(pruned);
      for (const [i, w] of model.weights.entries()) {
        const values = await w.read();
        masks?.[i]?.forEach((k, j) => k || expect(values[j], file).toBe(0));
      }
      model.dispose();
    }
    const tuned = JSON.parse(readResult('results/fc-paper-finetune/abs-0.95/tuned/train.json'));
    expect([tuned.status, tuned.metrics.testAccuracy]).toEqual(['finished', 0.9855]);
  });
});
