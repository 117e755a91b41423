import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';
import { fromIdx, type Dataset, type Split } from '../../src/data/dataset';
import { DEFAULT_CONFIG, CNN_DEFAULTS } from '../../src/nn/config';
import { trainModel } from '../../src/nn/train';
import { describeLayers } from '../../src/nn/layer-spec';
import type { Sequential } from '../../src/nn/modules';
import { modelFromSafetensors, modelToSafetensors } from '../../src/nn/checkpoint';
import { accuracy } from '../../src/nn/evaluate';
import { makeNoise, DEFAULT_NOISE } from '../../src/adversarial/noise';
import { pgd, pgdAttack } from '../../src/adversarial/pgd';
import { calibrationIndices, layerInputStats } from '../../src/prune/stats';
import { Pruner, parseScope } from '../../src/prune/prune';
import { decoupleNet } from '../../src/sparse/decouple';
import { SparseNet } from '../../src/sparse/sparse-net';
import { ConfigError } from '../../src/util/errors';

useGpu();

const H = 10,
  W = 12,
  CLASSES = 4;

/** Images of 10×12 pixels in 4 classes: class k lights a bar in its own quarter, over speckle. */
function bars(n: number, seed: number): Dataset {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const images = new Float32Array(n * H * W);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % CLASSES;
    labels[i] = k;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const inBar = Math.floor(x / 3) === k && y >= 2 && y < 8;
        images[(i * H + y) * W + x] = Math.min(1, (inBar ? 0.7 : 0) + 0.3 * rand());
      }
  }
  return { images, labels, count: n, pixels: H * W, shape: [1, H, W], source: `bars-${seed}` };
}

const split: Split = { train: bars(800, 1), test: bars(200, 2), name: 'bars' };
const base = { ...DEFAULT_CONFIG, batch: 32, iterations: 150, evalEvery: 0, dropout: 0, l2: 0 };

describe('models of any image shape and class count (the data says which)', () => {
  it('IDX images of any size load, with their shape', () => {
    const images = { dims: [2, H, W], data: new Uint8Array(2 * H * W).fill(255) };
    const labels = { dims: [2], data: Uint8Array.from([0, 11]) };
    const d = fromIdx(images as never, labels as never, 'i.idx', 'l.idx');
    expect([d.shape, d.pixels, Array.from(d.labels)]).toEqual([[1, H, W], H * W, [0, 11]]);
  });

  for (const arch of ['fc', 'cnn'] as const)
    it(`the study's ${arch.toUpperCase()} trains on 10×12 images of 4 classes; noise, PGD, activation pruning, decoupling and checkpoints follow`, async () => {
      const config =
        arch === 'fc'
          ? { ...base, hidden: [24] }
          : { ...base, ...CNN_DEFAULTS, conv: [{ channels: 3, kernel: 3 }], hidden: [16] };
      const r = await trainModel(config, split);
      const net = r.model as Sequential;
      expect(r.config.input).toEqual([1, H, W]);
      expect(r.config.classes).toBe(CLASSES);
      expect(describeLayers(net.layers)).toBe(arch === 'fc' ? '120-24-4' : '120-conv3x3x3-16-4');
      expect(r.metrics.testAccuracy).toBeGreaterThan(0.9);

      // The checkpoint records the shape: it loads to the same function.
      const loaded = modelFromSafetensors(await modelToSafetensors(net, r.config), 'bars.safetensors');
      expect(loaded.config.input).toEqual([1, H, W]);
      expect(await accuracy(loaded.model, split.test)).toBe(r.metrics.testAccuracy);
      loaded.model.dispose();

      // Universal noise towards class 3 has one value per pixel and fools the model more than chance.
      const noise = await makeNoise(net, split.train, { ...DEFAULT_NOISE, steps: 60, target: 3, limit: 0.5, seed: 1 });
      expect(noise.length).toBe(H * W);
      await expect(
        makeNoise(net, split.train, { ...DEFAULT_NOISE, steps: 1, target: 4, limit: 0.5, seed: 1 }),
      ).rejects.toThrow(/target class 4, but the model has 4 classes \(0–3\)/);

      // PGD takes the class count from the model's outputs.
      const clean = await accuracy(net, split.test);
      const attacked = await pgdAttack(net, split.test, pgd(0.3, 20));
      expect(attacked.accuracy).toBeLessThan(clean);

      // Activation-value pruning measures every layer's inputs through the conv maps of this size.
      const stats = await layerInputStats(net, split.train, calibrationIndices(split.train, 200, 1));
      expect(stats.mean.map((m) => m.length)).toEqual(arch === 'fc' ? [H * W, 24] : [H * W, 3 * H * W, 16]);
      const weights = await Promise.all(net.weights.map((w) => w.read()));
      const pruner = new Pruner(net, weights, stats, {
        method: 'act',
        scope: parseScope('per-matrix', net.layers.length),
        combinedOffset: 0,
        seed: 1,
      });
      const pruned = pruner.prunedModel(0.5);
      const zeros = await Promise.all(pruned.weights.map(async (w) => (await w.read()).filter((v) => v === 0).length));
      expect(zeros).toEqual(net.weights.map((w) => Math.round(0.5 * w.size)));

      // Decoupled (conv layers as exact sparse matrices on 10×12 maps): the same outputs.
      const sparse = await SparseNet.fastest(await decoupleNet(pruned), 64);
      const x = Tensor.fromArray(split.test.images.subarray(0, 16 * H * W), [16, H * W]);
      const [want, got] = await Promise.all(
        [pruned, sparse].map((m) => tidyAsync(() => m.forward(x, { train: false }).read())),
      );
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-4 * (1 + Math.abs(want[i]))));
      x.dispose();
      sparse.dispose();
      pruned.weights.forEach((w) => w.dispose());
      pruner.dispose();
      net.dispose();
    });

  it('a model trained on one image shape refuses data of another, naming both', async () => {
    await expect(trainModel({ ...base, hidden: [8], input: [1, 28, 28] }, split)).rejects.toThrow(ConfigError);
    await expect(trainModel({ ...base, hidden: [8], input: [1, 28, 28] }, split)).rejects.toThrow(
      /bars-1: images are 1x10x12, but the model takes 1x28x28/,
    );
  });
});
