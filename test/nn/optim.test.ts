import { describe, expect, it } from 'vitest';
import { compare, randomArray, useGpu } from '../helpers';
import { Tensor, backward, tidy, tidyAsync } from '../../src/tensor/tensor';
import { SGD, Adam, LrSchedule } from '../../src/nn/optim';
import { DataLoader } from '../../src/nn/batches';
import { studyModel } from '../../src/nn/study-models';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { quadraticLoss, softmaxCrossEntropy, marginLoss } from '../../src/ops/composite';
import { loadEmbedded } from '../../src/data/node-loader';
import { take, oneHot } from '../../src/data/dataset';

useGpu();

describe('SGD', () => {
  const cases = [
    { momentum: 0, dampening: 0, nesterov: false, decay: 0 },
    { momentum: 0.9, dampening: 0, nesterov: false, decay: 0.01 },
    { momentum: 0.9, dampening: 0.1, nesterov: false, decay: 0 },
    { momentum: 0.8, dampening: 0, nesterov: true, decay: 0.05 },
  ];
  for (const n of [1027, 1028])
    for (const c of cases)
      it(`three steps match a float64 reference of torch.optim.SGD, n ${n}, ${JSON.stringify(c)}`, async () => {
        const lr = 0.05;
        const p0 = randomArray(n, 1);
        const grads = [randomArray(n, 2), randomArray(n, 3), randomArray(n, 4)];
        const want = Float64Array.from(p0);
        const buf = new Float64Array(n);
        grads.forEach((g, s) => {
          for (let i = 0; i < n; i++) {
            const gi = g[i] + c.decay * want[i];
            if (c.momentum === 0) {
              want[i] -= lr * gi;
              continue;
            }
            buf[i] = s === 0 ? gi : c.momentum * buf[i] + (1 - c.dampening) * gi;
            want[i] -= lr * (c.nesterov ? gi + c.momentum * buf[i] : buf[i]);
          }
        });
        const got = await tidyAsync(async () => {
          const p = Tensor.fromArray(Float32Array.from(p0), [n], true);
          const sgd = new SGD([p], {
            lr,
            momentum: c.momentum,
            dampening: c.dampening,
            weightDecay: c.decay,
            nesterov: c.nesterov,
          });
          for (const g of grads) {
            p.grad = Tensor.fromArray(Float32Array.from(g), [n]);
            sgd.step();
            expect(p.grad).toBeNull();
          }
          const out = await p.read();
          sgd.dispose();
          return out;
        });
        compare(`sgd p after 3 steps`, got, want, 1e-5, 1e-6);
      });

  it('refuses settings torch refuses, naming them', () => {
    const p = Tensor.zeros([4], true);
    expect(() => new SGD([p], { lr: 0 })).toThrow(/SGD: lr 0 must be > 0/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    expect(() => new SGD([p], { lr: 0.1 }).step()).toThrow(/SGD: parameter 0 has no gradient/);
    p.dispose();
  });
});

describe('a training loop of your own', () => {
  it("Adam over model.parameters() with a DataLoader and an LrSchedule gives trainModel's weights bit for bit", async () => {
    const data = { ...take(loadEmbedded().train, 600), source: 'embedded' };
    const split = { train: data, test: take(loadEmbedded().test, 100), name: 'embedded-600' };
    const config = {
      ...DEFAULT_CONFIG,
      hidden: [32, 16],
      batch: 20,
      iterations: 25,
      evalEvery: 0,
      seed: 5,
      lrSchedule: [{ after: 10, lr: 5e-4 }],
      input: [1, 28, 28],
      classes: 10,
    };
    const reference = await trainModel(config, split);
    const want = await Promise.all(reference.model.parameters().map((t) => t.read()));
    reference.model.dispose();

    const model = studyModel(config);
    const weights = model.weights;
    const adam = new Adam(
      model.parameters(),
      config,
      model.parameters().map((p) => (weights.includes(p) ? config.l2 : 0)),
    );
    const schedule = new LrSchedule(adam, config.lrSchedule);
    const loader = new DataLoader(data, { batchSize: config.batch, seed: config.seed, classes: 10 });
    expect(loader.where).toBe('device');
    for (let it = 1; it <= config.iterations; it++) {
      tidy(() => {
        const { x, t } = loader.next();
        const y = model.forward(x, { train: true, dropoutSeed: config.seed, step: it });
        backward(quadraticLoss(y, t));
        adam.step();
        schedule.step();
      });
    }
    expect(adam.lr).toBe(5e-4);
    const got = await Promise.all(model.parameters().map((t) => t.read()));
    got.forEach((g, i) =>
      expect(Buffer.from(g.buffer).equals(Buffer.from(want[i].buffer)), `parameter ${i}`).toBe(true),
    );
    loader.dispose();
    adam.dispose();
    model.dispose();
  });

  it('LrSchedule gives the rate of each iteration as the config schedule does', () => {
    const opt = { lr: 0.1 };
    const s = new LrSchedule(opt, [
      { after: 0, lr: 0.05 },
      { after: 2, lr: 0.01 },
    ]);
    const seen = [opt.lr];
    for (let i = 0; i < 3; i++) {
      s.step();
      seen.push(opt.lr);
    }
    expect(seen).toEqual([0.05, 0.05, 0.01, 0.01]);
    expect(
      () =>
        new LrSchedule(opt, [
          { after: 3, lr: 1 },
          { after: 3, lr: 2 },
        ]),
    ).toThrow(/ascending order/);
  });
});

describe('losses take class indices', () => {
  it('a number list or an index tensor gives the same bits as one-hot targets, for every loss', async () => {
    const labels = [2, 0, 1, 2];
    const logits = Tensor.fromArray(Float32Array.from(randomArray(12, 9)), [4, 3]);
    const hot = Tensor.fromArray(oneHot(labels, 3), [4, 3]);
    const idx = Tensor.fromArray(labels, [4]);
    for (const loss of [quadraticLoss, softmaxCrossEntropy, marginLoss]) {
      const [a, b, c] = await Promise.all(
        [loss(logits, hot), loss(logits, labels), loss(logits, idx)].map((t) => t.read()),
      );
      expect([...b], loss.name).toEqual([...a]);
      expect([...c], loss.name).toEqual([...a]);
    }
    expect(() => quadraticLoss(logits, [0, 1, 3, 0])).toThrow(
      /quadraticLoss: target 2 is 3, not a class index in \[0, 3\)/,
    );
    expect(() => quadraticLoss(logits, [0, 1])).toThrow(/quadraticLoss: 2 class indices for a batch of 4/);
    for (const t of [logits, hot, idx]) t.dispose();
  });
});
