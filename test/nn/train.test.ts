import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { modelFromSafetensors, modelToSafetensors } from '../../src/nn/checkpoint';
import { accuracy } from '../../src/nn/evaluate';

useGpu();

describe('FC training on embedded digits', () => {
  it('a small FC net learns 2,000 digits to > 90% test accuracy, and its checkpoint round-trips', async () => {
    const all = loadEmbedded();
    const data = { train: take(all.train, 2000), test: all.test, name: 'embedded-2000' };
    const config = { ...DEFAULT_CONFIG, hidden: [128, 64], iterations: 400, batch: 50, evalEvery: 0, seed: 3 };
    const { model, metrics } = await trainModel(config, data);
    expect(metrics.testAccuracy).toBeGreaterThan(0.9);
    const losses = metrics.history.filter((h) => h.loss !== null).map((h) => h.loss!);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const bytes = await modelToSafetensors(model, config);
    const back = modelFromSafetensors(bytes, 'roundtrip.safetensors');
    expect(await accuracy(back.model, data.test)).toBe(metrics.testAccuracy);
    model.dispose();
    back.model.dispose();
  });
});

describe('checkpoint and resume', () => {
  it('a run resumed from its iteration-20 checkpoint ends with the same weights as an uninterrupted one', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { saveCheckpoint, loadCheckpoint } = await import('../../src/nn/run-files');
    const { initGpu } = await import('../../src/gpu/device');
    const adapter = (await initGpu()).adapter;
    const all = loadEmbedded();
    const data = { train: take(all.train, 500), test: take(all.test, 200), name: 'embedded-500' };
    const config = { ...DEFAULT_CONFIG, hidden: [32, 16], iterations: 40, batch: 20, evalEvery: 20, seed: 5 };
    const full = await trainModel(config, data);
    const dir = mkdtempSync(join(tmpdir(), 'resume-'));
    // Interrupted run: only the checkpoint at iteration 20 survives.
    const first = await trainModel({ ...config, iterations: 20 }, data, { onCheckpoint: (s) => saveCheckpoint(dir, s, config, adapter, data.name) });
    first.model.dispose();
    const state = loadCheckpoint(dir, config, data.name)!;
    expect(state.iteration).toBe(20);
    const resumed = await trainModel(config, data, { resume: state });
    for (let i = 0; i < full.model.params.length; i++) {
      const [a, b] = await Promise.all([full.model.params[i].tensor.read(), resumed.model.params[i].tensor.read()]);
      expect(b, full.model.params[i].name).toEqual(a);
    }
    expect(() => loadCheckpoint(dir, { ...config, lr: 0.5 }, data.name)).toThrow(/holds a run with other settings/);
    full.model.dispose();
    resumed.model.dispose();
  });
});
