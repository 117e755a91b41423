import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { readBytes } from '../../src/io/files';
import { decodeSafetensors } from '../../src/io/safetensors';
import { loadModelBytes } from '../../src/nn/model';
import { foldPruneMasks } from '../../src/nn/checkpoint';
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
    return name === 'model.safetensors' ? [path] : [];
  });
const same = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('the committed results', () => {
  const files = checkpoints('results');

  it('every committed model checkpoint loads into its module definition with every tensor unchanged', async () => {
    expect(files.length).toBeGreaterThanOrEqual(6); // the checkpoints a fresh clone holds (results/MANIFEST.tsv lists the rest)
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
});
