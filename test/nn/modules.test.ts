import { describe, expect, it } from 'vitest';
import { compare, randomArray, useGpu, type RefTensor } from '../helpers';
import { refConv2d, refMatmul, refPool } from '../ref/ref';
import { Sequential, nn, sequentialFromSafetensors, sequentialToSafetensors } from '../../src/nn/modules';
import { Tensor, backward, tidyAsync } from '../../src/tensor/tensor';
import { square } from '../../src/ops/elementwise';
import { sum } from '../../src/ops/reduce';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { accuracy } from '../../src/nn/evaluate';
import { seededRandom } from '../../src/nn/random';
import { modelOfLayers } from '../../src/nn/study-models';

useGpu();

const layers = () => [
  nn.Conv2d(4, 3, 'same'),
  nn.ReLU(),
  nn.MaxPool2d(2),
  nn.Conv2d(6, 3, 1, 2), // stride 2, one pixel of padding
  nn.ReLU(),
  nn.AvgPool2d(2, 1),
  nn.Flatten(),
  nn.Linear(5),
];

/** The same network in float64 from the test references, with the model's parameters. */
async function refForward(model: Sequential, x: RefTensor): Promise<Float64Array> {
  return (await refTrace(model, x)).output;
}

/** The float64 output and the inputs of the three weight layers (modules 0, 3 and 7). */
async function refTrace(model: Sequential, x: RefTensor): Promise<{ output: Float64Array; inputs: RefTensor[] }> {
  const p = new Map(
    await Promise.all(
      model.params.map(
        async (q) => [q.name, { data: Float64Array.from(await q.tensor.read()), shape: [...q.tensor.shape] }] as const,
      ),
    ),
  );
  const bias = (t: RefTensor, b: RefTensor) => {
    const per = t.data.length / t.shape[0] / b.data.length;
    return { ...t, data: t.data.map((v, i) => v + b.data[Math.floor(i / per) % b.data.length]) };
  };
  const relu = (t: RefTensor) => ({ ...t, data: t.data.map((v) => Math.max(v, 0)) });
  let h: RefTensor = relu(bias(refConv2d(x, p.get('0.weight')!, 1), p.get('0.bias')!));
  h = refPool(h, true, 2, 2, 0);
  const second = h;
  h = relu(bias(refConv2d(h, p.get('3.weight')!, 1, 2), p.get('3.bias')!));
  h = refPool(h, false, 2, 1, 0);
  const flat = { data: h.data, shape: [h.shape[0], h.data.length / h.shape[0]] };
  const y = refMatmul(flat, p.get('7.weight')!, false, true);
  return { output: y.data.map((v, i) => v + p.get('7.bias')!.data[i % 5]), inputs: [x, second, flat] };
}

describe('nn modules and Sequential', () => {
  it('names parameters as torch.nn.Sequential does, infers every shape, and computes what float64 references compute', async () => {
    const model = new Sequential([1, 12, 12], layers(), 3);
    expect(model.params.map((q) => `${q.name}[${q.tensor.shape}]`)).toEqual([
      '0.weight[4,1,3,3]',
      '0.bias[4]',
      '3.weight[6,4,3,3]',
      '3.bias[6]',
      '7.weight[5,24]',
      '7.bias[5]',
    ]);
    expect(model.describe()).toBe(
      'Conv2d[4,12,12] → ReLU[4,12,12] → MaxPool2d[4,6,6] → Conv2d[6,3,3] → ReLU[6,3,3] → AvgPool2d[6,2,2] → Flatten[24] → Linear[5]',
    );
    const x = { data: randomArray(3 * 144, 5, 0, 1), shape: [3, 1, 12, 12] };
    const got = await tidyAsync(async () =>
      model.forward(Tensor.fromArray(Float32Array.from(x.data), [3, 144]), { train: false }).read(),
    );
    compare('Sequential forward', got, await refForward(model, x), 1e-4, 1e-5);
    // Saved and loaded (safetensors, layers in the metadata): the same function.
    const again = sequentialFromSafetensors(await sequentialToSafetensors(model), 'm.safetensors');
    const got2 = await tidyAsync(async () =>
      again.forward(Tensor.fromArray(Float32Array.from(x.data), [3, 144]), { train: false }).read(),
    );
    expect(Array.from(got2)).toEqual(Array.from(got));
    expect(again.modelJson()).toEqual(model.modelJson());
    model.dispose();
    again.dispose();
  });

  it('Linear/Conv2d → ReLU (→ Dropout) runs as one fused kernel: the same bits, outputs and gradients, as the modules one by one, in training and evaluation', async () => {
    const mods = [
      nn.Conv2d(3, 3, 'same'),
      nn.ReLU(),
      nn.Dropout(0.25),
      nn.MaxPool2d(2),
      nn.Flatten(),
      nn.Linear(7),
      nn.ReLU(),
      nn.Dropout(0.4),
      nn.Linear(5),
      nn.ReLU(),
      nn.Linear(4),
    ];
    const model = new Sequential([1, 8, 8], mods, 9);
    const x = Float32Array.from(randomArray(6 * 64, 4, 0, 1));
    for (const train of [true, false]) {
      const opts = { train, dropoutSeed: 3, step: 5 };
      const run = (fused: boolean) =>
        tidyAsync(async () => {
          for (const p of model.params) {
            p.tensor.grad?.dispose();
            p.tensor.grad = null;
          }
          const input = Tensor.fromArray(x, [6, 64]);
          let y: Tensor;
          if (fused) y = model.forward(input, opts);
          else {
            // The modules one by one, each with the stream the Sequential gives it.
            y = input.reshape([6, 1, 8, 8]);
            model.modules.forEach((m, i) => {
              y = m.forward(y, { ...opts, stream: i });
            });
          }
          backward(sum(square(y)));
          return { y: await y.read(), grads: await Promise.all(model.params.map((p) => p.tensor.grad!.read())) };
        });
      const [fused, plain] = [await run(true), await run(false)];
      expect(Array.from(fused.y), `train ${train}`).toEqual(Array.from(plain.y));
      fused.grads.forEach((g, i) =>
        expect(Array.from(g), `${model.params[i].name}`).toEqual(Array.from(plain.grads[i])),
      );
    }
    model.dispose();
  });
  it('a model config in JSON builds the same model; bad layers and shapes are named', () => {
    const json = { input: [1, 12, 12], layers: layers().map((m) => m.toJson()) };
    const m = Sequential.fromJson(JSON.parse(JSON.stringify(json)), 3);
    expect(m.modelJson()).toEqual(json);
    m.dispose();
    expect(() => Sequential.fromJson({ input: [1, 28, 28], layers: [{ type: 'Linear', out: 10 }] })).toThrow(
      /Linear\(10\): expects a flat input, got \[1,28,28\] \(put a Flatten before it\)/,
    );
    expect(() => Sequential.fromJson({ input: [1, 28, 28], layers: [{ type: 'Dense' } as never] })).toThrow(
      /unknown layer type "Dense"/,
    );
    expect(() =>
      Sequential.fromJson({
        input: [1, 28, 28],
        layers: [{ type: 'Conv2d', out: 4, kernel: 3, padding: 'same', stride: 2 }],
      }),
    ).toThrow(/'same' padding needs stride 1/);
    expect(() => Sequential.fromJson({ input: [1, 4, 4], layers: [{ type: 'MaxPool2d', kernel: 5 }] })).toThrow(
      /MaxPool2d: a 5x5 window does not fit the 4x4 input/,
    );
    expect(() => Sequential.fromJson({ layers: [] } as never)).toThrow(/needs "input"/);
  });

  it("trains with trainModel like the study's nets (a small CNN with max-pooling on the digits)", async () => {
    const all = loadEmbedded();
    const data = { train: all.train, test: take(all.test, 500), name: 'embedded' };
    const model = new Sequential(
      [1, 28, 28],
      [nn.Conv2d(8, 5, 'same'), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(10)],
      2,
    );
    const before = await accuracy(model, data.test);
    const r = await trainModel(
      { ...DEFAULT_CONFIG, loss: 'softmax-ce', batch: 32, iterations: 120, evalEvery: 0, l2: 0 },
      data,
      { init: model },
    );
    expect(r.model).toBe(model);
    expect(before).toBeLessThan(0.3);
    expect(r.metrics.testAccuracy).toBeGreaterThan(0.8);
    model.dispose();
  });
});

describe('pruning and attacking nn models', () => {
  it('a Sequential prunes by |w| (exact counts, pruned weights 0, biases shared) and by mean activated value (inputs through pooling and strides), and is attacked through its pooling', async () => {
    const { Pruner } = await import('../../src/prune/prune');
    const { pgd, pgdAttack } = await import('../../src/adversarial/pgd');
    const model = new Sequential([1, 12, 12], layers(), 4);
    const weights = await Promise.all(model.weights.map((w) => w.read()));
    const pruner = new Pruner(model, weights, null, {
      method: 'abs',
      scope: { kind: 'per-matrix' },
      combinedOffset: 0,
      seed: 1,
    });
    const pruned = pruner.prunedModel(0.5);
    for (const [m, w] of pruned.weights.entries()) {
      const got = await w.read();
      expect(got.filter((v) => v === 0).length).toBe(Math.round(0.5 * got.length));
      const kept = Array.from(weights[m])
        .map(Math.abs)
        .sort((a, b) => a - b)[Math.round(0.5 * got.length)];
      got.forEach((v, i) => {
        if (v !== 0) {
          expect(v).toBe(weights[m][i]);
          expect(Math.abs(v)).toBeGreaterThanOrEqual(kept);
        }
      });
    }
    expect(pruned.params.find((p) => p.name === '0.bias')!.tensor).toBe(
      model.params.find((p) => p.name === '0.bias')!.tensor,
    );
    const r = seededRandom(2);
    const data = {
      images: Float32Array.from({ length: 40 * 144 }, () => r()),
      labels: Uint8Array.from({ length: 40 }, (_, i) => i % 5),
      count: 40,
      pixels: 144,
      shape: [1, 12, 12],
      source: 'random',
    };
    const attacked = await pgdAttack(pruned, data, pgd(0.3, 10), 500, 5);
    expect(attacked.imageSteps).toBeGreaterThan(0);
    pruned.weights.forEach((w) => w.dispose());
    pruner.dispose();

    // Activation-value pruning: each weight layer's mean input (through pooling and a strided
    // conv) as float64 computes it, and the fc weights kept are those of largest |w|·|mean x|.
    const { layerInputStats } = await import('../../src/prune/stats');
    const stats = await layerInputStats(model, data, [...Array(40).keys()], 16);
    const ref = await refTrace(model, { data: Float64Array.from(data.images), shape: [40, 1, 12, 12] });
    ref.inputs.forEach((t, m) => {
      const per = t.data.length / 40;
      const mean = Float64Array.from({ length: per }, (_, j) => {
        let s = 0;
        for (let k = 0; k < 40; k++) s += t.data[k * per + j];
        return s / 40;
      });
      compare(`mean input of weight layer ${m}`, stats.mean[m], mean, 1e-5, 1e-5);
    });
    const act = new Pruner(model, weights, stats, {
      method: 'act',
      scope: { kind: 'layer', layer: 3 },
      combinedOffset: 0,
      seed: 1,
    });
    const actPruned = act.prunedModel(0.6);
    const fc = await actPruned.weights[2].read();
    actPruned.weights.forEach((w) => w.dispose());
    const score = (i: number) => Math.abs(weights[2][i]) * Math.abs(stats.mean[2][i % 24]);
    const kept = [...fc.keys()].filter((i) => fc[i] !== 0).map(score);
    const gone = [...fc.keys()].filter((i) => fc[i] === 0).map(score);
    expect(gone.length).toBe(Math.round(0.6 * fc.length));
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...gone));
    act.dispose();
    model.dispose();
  });
});

describe("the study's nets as nn modules", () => {
  it('a checkpoint of the study FC and CNN loads into their Sequential definitions (fc1…, conv1… names) and computes the same outputs', async () => {
    const { fcLayers, cnnLayers } = await import('../../src/nn/layer-spec');
    const { modelToSafetensors } = await import('../../src/nn/checkpoint');
    const { studyFcModel, studyCnnModel } = await import('../../src/nn/study-models');
    const conv = [
      { channels: 3, kernel: 5 },
      { channels: 2, kernel: 3 },
    ];
    for (const [net, def] of [
      [modelOfLayers(fcLayers([144, 20, 12, 5]), 0.3, 3), studyFcModel([20, 12], [1, 12, 12], 5, 0.3)],
      [modelOfLayers(cnnLayers(conv, [16], [1, 12, 12], 5), 0.3, 4), studyCnnModel(conv, [16], [1, 12, 12], 5, 0.3)],
    ] as const) {
      const bytes = await modelToSafetensors(net, { ...DEFAULT_CONFIG, dropout: 0.3 });
      const seq = sequentialFromSafetensors(bytes, 'study.safetensors', def);
      expect(seq.params.map((p) => p.name)).toEqual(net.params.map((p) => p.name));
      expect(seq.layers.map((l) => l.name)).toEqual(net.layers.map((l) => l.name));
      expect(def.layers.filter((l) => l.type === 'Dropout')).toEqual(
        net.layers
          .slice(0, -1)
          .filter((l) => l.kind === 'linear')
          .map((_l, i) => ({
            type: 'Dropout',
            p: 0.3,
            stream: net.layers.filter((k) => k.kind === 'conv').length + i,
          })),
      );
      const x = Tensor.fromArray(Float32Array.from(randomArray(4 * 144, 9, 0, 1)), [4, 144]);
      const [want, got] = await Promise.all(
        [net, seq].map((m) => tidyAsync(() => m.forward(x, { train: false }).read())),
      );
      compare('study net as Sequential', got, want, 1e-6, 1e-6);
      x.dispose();
      net.dispose();
      seq.dispose();
    }
  });
  it('module names must be identifiers (they prefix parameter names)', () => {
    expect(() => Sequential.fromJson({ input: [4], layers: [{ type: 'Linear', out: 2, name: 'fc 1' }] })).toThrow(
      /Linear name "fc 1": use letters, digits and _/,
    );
    const m = new Sequential([4], [nn.named('head', nn.Linear(2))]);
    expect(m.params.map((p) => p.name)).toEqual(['head.weight', 'head.bias']);
    expect(Sequential.fromJson(m.modelJson()).params.map((p) => p.name)).toEqual(['head.weight', 'head.bias']);
    m.dispose();
  });
});
