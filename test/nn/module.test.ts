import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';
import { Module } from '../../src/nn/module';
import { Linear, type Dropout, type Layer } from '../../src/nn/layers';
import { Sequential, nn } from '../../src/nn/modules';
import { relu } from '../../src/ops/elementwise';

useGpu();

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer)];
const input = Float32Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i));
const run = (m: { forward(x: Tensor, o?: { train?: boolean }): Tensor }) =>
  tidyAsync(() => m.forward(Tensor.fromArray(input, [3, 16]), { train: false }).read());

/** A user's module: two submodules and a forward of its own, sizes known up front. */
class TwoTower extends Module {
  readonly type = 'TwoTower';
  readonly left = this.registerModule('left', nn.Sequential(nn.Linear(8), nn.ReLU()));
  readonly right = this.registerModule('right', new Linear(8, 16));
  readonly head = this.registerModule('head', nn.Linear(3));
  forward(x: Tensor): Tensor {
    return this.head.forward(relu(this.left.forward(x)));
  }
}

describe('Module: parameters, nesting, state dicts', () => {
  it('a Sequential nested in a Sequential names parameters as PyTorch does and computes what the flat one does', async () => {
    const nested = new Sequential(
      [16],
      [nn.Sequential(nn.Linear(12), nn.ReLU()), nn.Sequential(nn.Linear(6), nn.ReLU(), nn.Linear(4))],
      7,
    );
    const flat = new Sequential([16], [nn.Linear(12), nn.ReLU(), nn.Linear(6), nn.ReLU(), nn.Linear(4)], 7);
    expect(nested.namedParameters().map(([n, t]) => `${n}${JSON.stringify(t.shape)}`)).toEqual([
      '0.0.weight[12,16]',
      '0.0.bias[12]',
      '1.0.weight[6,12]',
      '1.0.bias[6]',
      '1.2.weight[4,6]',
      '1.2.bias[4]',
    ]);
    expect(nested.numParameters()).toBe(12 * 16 + 12 + 6 * 12 + 6 + 4 * 6 + 4);
    expect(nested.layers.map((l) => l.name)).toEqual(['0.0', '1.0', '1.2']);
    expect(bits(await run(nested))).toEqual(bits(await run(flat)));
    const again = Sequential.fromJson(nested.modelJson(), 7);
    expect(bits(await run(again))).toEqual(bits(await run(nested)));
    for (const m of [nested, flat, again]) m.dispose();
  });

  it("a user's subclass with its own forward: init() makes the lazily sized layers' parameters by a dry run", async () => {
    const m = new TwoTower();
    expect(m.parameters()).toEqual([]);
    expect(() => m.forward(Tensor.zeros([1, 16]))).toThrow(
      /Sequential\(.*\): its parameters are not made yet: put it in a Sequential with an input shape, or call model.init/,
    );
    m.init({ input: [16], seed: 3 });
    expect(m.namedParameters().map(([n, t]) => `${n}${JSON.stringify(t.shape)}`)).toEqual([
      'left.0.weight[8,16]',
      'left.0.bias[8]',
      'head.weight[3,8]',
      'head.bias[3]',
    ]); // `right` is never run by forward, so it has none (as PyTorch's lazy modules)
    const out = await run(m);
    expect(out.length).toBe(9);
    expect(out.every(Number.isFinite)).toBe(true);
    expect(String(m)).toMatch(/left\.0 {2}Linear\(8\) {2}weight \[8,16\], bias \[8\] {2}136/);
    expect(String(m)).toMatch(/163 parameters$/);
    m.dispose();
  });

  it('train() and eval() switch dropout in every module below', async () => {
    const m = new Sequential([16], [nn.Linear(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(2)], 1);
    const x = Tensor.fromArray(input, [3, 16]);
    const once = () => tidyAsync(() => m.forward(x, { dropoutSeed: 1, step: 1 }).read());
    m.eval();
    expect(m.modules.every((l: Layer) => !l.training)).toBe(true);
    const [e1, e2] = [await once(), await once()];
    m.train();
    const t1 = await once();
    expect(bits(e1)).toEqual(bits(e2));
    expect(bits(t1)).not.toEqual(bits(e1));
    expect((m.modules[2] as Dropout).p).toBe(0.5);
    x.dispose();
    m.dispose();
  });

  it('loadStateDict copies by name into the same tensors; strict errors name missing and unexpected keys', async () => {
    const a = new Sequential([16], [nn.Linear(8), nn.ReLU(), nn.named('out', nn.Linear(2))], 1);
    const b = new Sequential([16], [nn.Linear(8), nn.ReLU(), nn.named('out', nn.Linear(2))], 2);
    const before = b.parameters();
    expect(bits(await run(a))).not.toEqual(bits(await run(b)));
    const state = new Map([...a.stateDict()].map(([k, t]) => [k, t]));
    expect([...state.keys()]).toEqual(['0.weight', '0.bias', 'out.weight', 'out.bias']);
    b.loadStateDict(state);
    expect(b.parameters()).toEqual(before); // the same tensor objects: an optimizer made before keeps working
    expect(bits(await run(b))).toEqual(bits(await run(a)));

    const host = new Map(
      await Promise.all(
        [...a.stateDict()].map(async ([k, t]) => [k, { shape: t.shape, data: await t.read() }] as const),
      ),
    );
    host.delete('out.bias');
    host.set('extra.weight', { shape: [1], data: new Float32Array(1) });
    expect(() => b.loadStateDict(host)).toThrow(
      /loadStateDict: missing keys "out.bias"; unexpected keys "extra.weight"/,
    );
    expect(b.loadStateDict(host, { strict: false })).toEqual({ missing: ['out.bias'], unexpected: ['extra.weight'] });
    host.set('0.bias', { shape: [9], data: new Float32Array(9) });
    expect(() => b.loadStateDict(host, { strict: false })).toThrow(
      /"0.bias" is \[9\] in the state dict, \[8\] in the module/,
    );
    a.dispose();
    b.dispose();
  });
});

describe('tensors users can see', () => {
  it('Tensor.from reads the shape from nested arrays and refuses ragged ones, naming where', async () => {
    const t = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect([...(await t.read())]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(String(t)).toBe('Tensor[2,3] (leaf)');
    expect(await t.toText()).toBe('[[1, 2, 3],\n[4, 5, 6]]\nTensor[2,3] (leaf)');
    expect(() => Tensor.from([[1, 2], [3]])).toThrow(/Tensor.from: \[1\] has 1 items where \[2, 2\] needs 2/);
    expect(() =>
      Tensor.from([
        [1, 2],
        [3, 'x' as never],
      ]),
    ).toThrow(/Tensor.from: \[1\]\[1\] is "x", not a number/);
    t.dispose();
  });
});

describe('trainModel reports the model it trained', () => {
  it('a CNN passed as init comes back with its own layers in the config, not the default FC net', async () => {
    const { trainModel } = await import('../../src/nn/train');
    const { DEFAULT_CONFIG } = await import('../../src/nn/config');
    const { loadEmbedded } = await import('../../src/data/node-loader');
    const { take } = await import('../../src/data/dataset');
    const all = loadEmbedded();
    const data = { train: take(all.train, 64), test: take(all.test, 32), name: 'embedded-64' };
    const cnn = new Sequential(
      [1, 28, 28],
      [nn.Conv2d(2, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(10)],
      1,
    );
    const r = await trainModel({ ...DEFAULT_CONFIG, iterations: 2, batch: 16, evalEvery: 0 }, data, { init: cnn });
    expect(r.config.model).toEqual(cnn.modelJson());
    expect(r.config.input).toEqual([1, 28, 28]);
    expect(r.config.classes).toBe(10);
    const study = await trainModel({ ...DEFAULT_CONFIG, hidden: [8], iterations: 2, batch: 16, evalEvery: 0 }, data);
    expect(study.config.model).toBeUndefined(); // the study's FC net: its config already names it
    cnn.dispose();
    study.model.dispose();
  });
});

describe('summary', () => {
  it('a model with an input shape lists each layer with its output shape and parameter count', () => {
    const m = new Sequential(
      [1, 8, 8],
      [nn.Conv2d(2, 3, 'same'), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.named('out', nn.Linear(4))],
      1,
    );
    const lines = m.summary().split('\n');
    expect(lines[0]).toMatch(/^layer +module +output +parameters$/);
    expect(lines[1]).toMatch(/^0 +Conv2d\(2, 3, "same"\) +\[2,8,8\] +20$/);
    expect(lines[5]).toMatch(/^out +Linear\(4\) +\[4\] +132$/);
    expect(lines[6]).toBe('152 parameters');
    m.dispose();
  });
});
