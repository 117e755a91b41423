import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { trainModel } from '../../src/nn/train';
import { batchesFor } from '../../src/nn/batches';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/nn/config';
import { tidyAsync } from '../../src/tensor/tensor';

useGpu();

const all = loadEmbedded();
const data = { train: take(all.train, 300), test: take(all.test, 100), name: 'embedded-300' };

async function weights(config: TrainConfig, batches: 'device' | 'host') {
  const r = await trainModel(config, data, { batches });
  expect(r.metrics.batchesOn).toBe(batches);
  const w = await Promise.all(r.model.params.map((p) => p.tensor.read()));
  r.model.dispose();
  return w;
}

describe('batches held on the GPU', () => {
  it('draw the same images and one-hot targets, in the same order, as batches copied on the host', async () => {
    // 300 images in batches of 64: the third batch crosses into the second epoch's permutation.
    const [host, device] = [batchesFor(data.train, 64, 9, 10, 'host'), batchesFor(data.train, 64, 9, 10, 'device')];
    expect([host.where, device.where]).toEqual(['host', 'device']);
    for (let step = 0; step < 6; step++) {
      if (step === 2) {
        host.skip();
        device.skip();
      }
      const [hx, ht, dx, dt] = await tidyAsync(async () => {
        const [h, d] = [host.next(), device.next()];
        expect(d.x.shape).toEqual(h.x.shape);
        expect(d.t.shape).toEqual(h.t.shape);
        return Promise.all([h.x.read(), h.t.read(), d.x.read(), d.t.read()]);
      });
      expect(dx).toEqual(hx);
      expect(dt).toEqual(ht);
      // the targets are one-hot rows, and the images are the dataset's own
      for (let b = 0; b < 64; b++) expect(ht.subarray(b * 10, b * 10 + 10).reduce((a, v) => a + v, 0)).toBe(1);
    }
    host.dispose();
    device.dispose();
  });

  for (const arch of ['fc', 'cnn'] as const) {
    it(`train a ${arch} net to the same bits as host batches`, async () => {
      const config: TrainConfig =
        arch === 'fc'
          ? { ...DEFAULT_CONFIG, hidden: [32, 16], iterations: 12, batch: 40, evalEvery: 0, seed: 4 }
          : {
              ...DEFAULT_CONFIG,
              arch: 'cnn',
              conv: [{ channels: 3, kernel: 5 }],
              hidden: [16],
              iterations: 6,
              batch: 20,
              evalEvery: 0,
              seed: 4,
            };
      const [host, device] = [await weights(config, 'host'), await weights(config, 'device')];
      for (let i = 0; i < host.length; i++) expect(device[i]).toEqual(host[i]);
    });
  }

  it('auto holds a training set that fits on the GPU', async () => {
    const r = await trainModel({ ...DEFAULT_CONFIG, hidden: [8], iterations: 2, batch: 10, evalEvery: 0 }, data);
    expect(r.metrics.batchesOn).toBe('device');
    r.model.dispose();
  });
});
