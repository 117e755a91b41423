import { describe, expect, it } from 'vitest';
import { checkOp, randomArray, useGpu } from '../helpers';
import { fcLayers } from '../../src/nn/layer-spec';
import { Tensor } from '../../src/tensor/tensor';
import { clamp01 } from '../../src/ops/elementwise';
import { softmaxCrossEntropy } from '../../src/ops/composite';
import { makeNoise, DEFAULT_NOISE } from '../../src/adversarial/noise';
import { smallNet } from './small-net';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { refFcForward, refSoftmaxCE, refUnary, refConv2d, refBinary, refMatmul } from '../ref/ref';
import { conv2d } from '../../src/ops/conv2d';
import { add, relu } from '../../src/ops/elementwise';
import { linear } from '../../src/ops/composite';
import { ConfigError } from '../../src/util/errors';
import { DeviceImages } from '../../src/nn/batches';
import { modelOfLayers } from '../../src/nn/study-models';

useGpu();

describe('input gradients through a frozen linear-quadratic model', () => {
  it('softmax-CE head on the FC model: d loss / d input matches finite differences', async () => {
    const { layers, net } = smallNet(7);
    const targets = new Float64Array(5 * 10).map((_, i) => (i % 10 === 3 ? 1 : 0));
    await checkOp({
      name: 'CE(fc(clip(x)))',
      shapes: [[5, 12]],
      // Inputs inside (0,1) away from the clip edges: the clip's kink is not differentiable.
      input: (_i, n, seed) => randomArray(n, seed, 0.05, 0.95),
      gpu: (x) =>
        softmaxCrossEntropy(
          net.forward(clamp01(x), { train: false }),
          Tensor.fromArray(Float32Array.from(targets), [5, 10]),
        ),
      ref: (x) =>
        refSoftmaxCE(
          refFcForward(
            refUnary(x, (v) => Math.min(Math.max(v, 0), 1)),
            layers,
          ),
          { data: targets, shape: [5, 10] },
        ),
      gradRtol: 2e-3,
      gradAtol: 2e-4,
    });
    net.dispose();
  });
});

describe('input gradients through a frozen linear-quadratic CNN', () => {
  it('softmax-CE head on conv → relu → conv → relu → flatten → linear: d loss / d input matches finite differences', async () => {
    const [N, H] = [3, 6];
    const w1 = randomArray(3 * 1 * 3 * 3, 21, -0.5, 0.5),
      b1 = randomArray(3, 22, -0.1, 0.1);
    const w2 = randomArray(2 * 3 * 3 * 3, 23, -0.5, 0.5),
      b2 = randomArray(2, 24, -0.1, 0.1);
    const wf = randomArray(10 * 2 * H * H, 25, -0.3, 0.3),
      bf = randomArray(10, 26, -0.1, 0.1);
    const targets = new Float64Array(N * 10).map((_, i) => (i % 10 === 3 ? 1 : 0));
    const T = (d: Float64Array, shape: number[]) => Tensor.fromArray(Float32Array.from(d), shape);
    await checkOp({
      name: 'CE(cnn(clip(x)))',
      shapes: [[N, 1, H, H]],
      input: (_i, n, seed) => randomArray(n, seed, 0.05, 0.95),
      gpu: (x) => {
        const h1 = relu(add(conv2d(clamp01(x), T(w1, [3, 1, 3, 3])), T(b1, [3, 1, 1])));
        const h2 = relu(add(conv2d(h1, T(w2, [2, 3, 3, 3])), T(b2, [2, 1, 1])));
        const logits = linear(h2.reshape([N, 2 * H * H]), T(wf, [10, 2 * H * H]), T(bf, [10]));
        return softmaxCrossEntropy(logits, T(targets, [N, 10]));
      },
      ref: (x) => {
        const xc = refUnary(x, (v) => Math.min(Math.max(v, 0), 1));
        const h1 = refUnary(
          refBinary(
            refConv2d(xc, { data: w1, shape: [3, 1, 3, 3] }, 1),
            { data: b1, shape: [3, 1, 1] },
            (p, q) => p + q,
          ),
          (v) => Math.max(v, 0),
        );
        const h2 = refUnary(
          refBinary(
            refConv2d(h1, { data: w2, shape: [2, 3, 3, 3] }, 1),
            { data: b2, shape: [2, 1, 1] },
            (p, q) => p + q,
          ),
          (v) => Math.max(v, 0),
        );
        const logits = refBinary(
          refMatmul({ data: h2.data, shape: [N, 2 * H * H] }, { data: wf, shape: [10, 2 * H * H] }, false, true),
          { data: bf, shape: [10] },
          (p, q) => p + q,
        );
        return refSoftmaxCE(logits, { data: targets, shape: [N, 10] });
      },
      gradRtol: 3e-3,
      gradAtol: 3e-4,
    });
  });
});

describe('universal noise', () => {
  it('never exceeds its limit, and the noisy images stay in [0, 1]', async () => {
    const data = take(loadEmbedded().train, 300);
    const net = modelOfLayers(fcLayers([784, 32, 10]), 0, 4);
    const limit = 0.1;
    const n = await makeNoise(net, data, { ...DEFAULT_NOISE, target: 3, limit, steps: 40, batch: 16, lr: 0.05 });
    expect(n.length).toBe(784);
    const maxAbs = n.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeLessThanOrEqual(Math.fround(limit)); // the limit as the float32 the kernel clamps to
    expect(maxAbs).toBeGreaterThan(limit / 2); // the optimiser moved it to the boundary somewhere
    const noisy = await clamp01(
      Tensor.fromArray(
        data.images.map((v, i) => v + n[i % 784]),
        [data.count, 784],
      ),
    ).read();
    expect(noisy.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(net.params.every((p) => p.tensor.requiresGrad)).toBe(true); // unfrozen afterwards
    net.dispose();
  });
  it('with the training images held on the GPU: the same noise, bit for bit, for two vectors from one upload', async () => {
    const data = take(loadEmbedded().train, 300);
    const net = modelOfLayers(fcLayers([784, 32, 10]), 0, 4);
    const images = new DeviceImages(data);
    for (const target of [3, 7]) {
      const s = { ...DEFAULT_NOISE, target, limit: 0.2, steps: 25, batch: 32, lr: 0.05 };
      const host = await makeNoise(net, data, s);
      const device = await makeNoise(net, data, s, undefined, { images });
      expect(device).toEqual(host);
      expect(host.some((v) => v !== 0)).toBe(true);
    }
    await expect(
      makeNoise(net, take(data, 100), { ...DEFAULT_NOISE, target: 3, limit: 0.2 }, undefined, { images }),
    ).rejects.toThrow(/opts.images holds another dataset/);
    images.dispose();
    net.dispose();
  });
  it("rejects a target outside the model's classes and a negative limit", async () => {
    const data = take(loadEmbedded().train, 10);
    const net = modelOfLayers(fcLayers([784, 8, 10]), 0, 4);
    await expect(makeNoise(net, data, { ...DEFAULT_NOISE, target: 10, limit: 0.2 })).rejects.toThrow(
      /target class 10, but the model has 10 classes \(0–9\)/,
    );
    await expect(makeNoise(net, data, { ...DEFAULT_NOISE, target: 3, limit: -0.1 })).rejects.toThrow(ConfigError);
    net.dispose();
  });
});
