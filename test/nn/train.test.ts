import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG, learningRateAt, validateConfig } from '../../src/nn/config';
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
    const { initGpu } = await import('../../src/gpu/node-gpu');
    const adapter = (await initGpu()).gpu.adapter;
    const all = loadEmbedded();
    const data = { train: take(all.train, 500), test: take(all.test, 200), name: 'embedded-500' };
    const config = { ...DEFAULT_CONFIG, hidden: [32, 16], iterations: 40, batch: 20, evalEvery: 20, seed: 5 };
    const full = await trainModel(config, data);
    const dir = mkdtempSync(join(tmpdir(), 'resume-'));
    // Interrupted run: only the checkpoint at iteration 20 survives.
    const first = await trainModel({ ...config, iterations: 20 }, data, {
      onCheckpoint: (s) => saveCheckpoint(dir, s, config, adapter, data.name),
    });
    first.model.dispose();
    const state = loadCheckpoint(dir, config, data.name)!;
    expect(state.iteration).toBe(20);
    const resumed = await trainModel(config, data, { resume: state });
    for (let i = 0; i < full.model.params.length; i++) {
      const [a, b] = await Promise.all([full.model.params[i].tensor.read(), resumed.model.params[i].tensor.read()]);
      expect(b, full.model.params[i].name).toEqual(a);
    }
    expect(() => loadCheckpoint(dir, { ...config, lr: 0.5 }, data.name)).toThrow(/holds a run with other settings/);

    // A learning-rate step after the checkpoint may be added on resume; one before it may not.
    const decayed = { ...config, lrSchedule: [{ after: 20, lr: 1e-4 }] };
    const fullDecayed = await trainModel(decayed, data);
    const resumedDecayed = await trainModel(decayed, data, { resume: loadCheckpoint(dir, decayed, data.name)! });
    let differsFromConstant = false;
    for (let i = 0; i < full.model.params.length; i++) {
      const [a, b, c] = await Promise.all([
        fullDecayed.model.params[i].tensor.read(),
        resumedDecayed.model.params[i].tensor.read(),
        full.model.params[i].tensor.read(),
      ]);
      expect(b, fullDecayed.model.params[i].name).toEqual(a);
      differsFromConstant ||= a.some((x, j) => x !== c[j]);
    }
    expect(differsFromConstant).toBe(true);
    expect(() => loadCheckpoint(dir, { ...config, lrSchedule: [{ after: 10, lr: 1e-4 }] }, data.name)).toThrow(
      /changes iterations already trained .*iteration 20/,
    );
    for (const m of [full.model, resumed.model, fullDecayed.model, resumedDecayed.model]) m.dispose();
  });
});

describe('learning-rate schedule', () => {
  it('steps down after the given iterations and rejects unordered steps', () => {
    const c = {
      ...DEFAULT_CONFIG,
      lr: 1e-3,
      lrSchedule: [
        { after: 100, lr: 1e-4 },
        { after: 200, lr: 1e-5 },
      ],
    };
    expect([1, 100, 101, 200, 201, 5000].map((it) => learningRateAt(c, it))).toEqual([
      1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5,
    ]);
    expect(learningRateAt({ ...DEFAULT_CONFIG, lr: 0.01 }, 7)).toBe(0.01);
    expect(() =>
      validateConfig({
        ...c,
        lrSchedule: [
          { after: 200, lr: 1e-4 },
          { after: 100, lr: 1e-5 },
        ],
      }),
    ).toThrow(/lrSchedule.*ascending/);
    expect(() => validateConfig({ ...c, lrSchedule: [{ after: 5, lr: 0 }] })).toThrow(/lrSchedule/);
  });
});
