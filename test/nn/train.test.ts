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
