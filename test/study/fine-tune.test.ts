import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/nn/config';
import { runSweep, sweepUnits, type SweepRow, type SweepSpec } from '../../src/study/sweep';

useGpu();

describe('sweep with fine-tuning', () => {
  it('each pruned model is fine-tuned under its mask before it is measured; the model swept stays as it was; ratio 0 is not trained', async () => {
    const all = loadEmbedded();
    const data = { train: take(all.train, 2000), test: take(all.test, 1000), name: 'embedded' };
    const config: TrainConfig = {
      ...DEFAULT_CONFIG,
      hidden: [64, 32],
      iterations: 150,
      batch: 50,
      evalEvery: 0,
      seed: 4,
    };
    const { model } = await trainModel(config, data);
    const before = await Promise.all(model.params.map((p) => p.tensor.read()));
    const weights = await Promise.all(model.weights.map((w) => w.read()));
    const base: SweepSpec = {
      methods: ['abs'],
      scopes: ['per-matrix'],
      ratios: [0, 0.9],
      calibration: 100,
      combinedOffset: 0.07,
      seed: 1,
    };
    const sweep = async (spec: SweepSpec) => {
      const rows: SweepRow[] = [];
      const models = [{ name: 'm', seed: 4, model, weights }];
      await runSweep(spec, models, { test: data.test, train: data.train }, [], sweepUnits(spec, models), (_, r) => {
        rows.push(...r);
      });
      return rows;
    };
    const oneShot = await sweep(base);
    const tuned = await sweep({ ...base, fineTune: { iterations: 100, config } });
    // The swept model (weights and the biases its pruned copies share) is untouched.
    const after = await Promise.all(model.params.map((p) => p.tensor.read()));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
    expect(tuned[0].accuracy).toBe(oneShot[0].accuracy); // ratio 0: not fine-tuned
    // 90% pruned by |w| without retraining loses most of this small net; 100 steps under the mask win most of it back.
    expect(oneShot[1].accuracy).toBeLessThan(oneShot[0].accuracy - 0.1);
    expect(tuned[1].accuracy).toBeGreaterThan(oneShot[1].accuracy + 0.1);
    model.dispose();
  });
});
