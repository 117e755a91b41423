import { describe, expect, it } from 'vitest';
import { z } from 'zod';
// A user's code: only the package's entries, and a backend of its own (initGpu is never called,
// so anything that reached for the default backend would throw here).
import {
  Adam,
  DataLoader,
  Layer,
  Linear,
  Module,
  Sequential,
  decodeSafetensors,
  encodeSafetensors,
  registerLayer,
  sequentialFromSafetensors,
  sequentialToSafetensors,
  type ModuleJson,
  Tensor,
  add,
  backward,
  createBackend,
  loadEmbedded,
  max,
  mul,
  relu,
  softmaxCrossEntropy,
  sub,
  take,
  tidy,
  accuracy,
  type Backend,
} from '../../src/node';
import {
  boundGraph,
  certifyModel,
  crown,
  fgsm,
  ibp,
  linfBoxes,
  makeNoise,
  marginSpecs,
  pgd,
  pgdAttack,
  pgdImages,
  PGD,
  FGSM,
  pruneModule,
  registerBoundRule,
  robustness,
  type Relaxation,
} from '../../src/research';
import { crownRef, denseGraph, forwardRef, ibpRef, linfBox, marginSpec } from '../../src/certify/reference';
import { seededRandom } from '../../src/nn/random';
import { decoupleNet } from '../../src/sparse/decouple';
import { SparseNet } from '../../src/sparse/sparse-net';

// ---- A layer of the user's own: LeakyReLU, its forward from existing ops and its bound rule.
class LeakyReLU extends Layer {
  readonly type = 'LeakyReLU';
  constructor(readonly slope: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return sub(relu(x), mul(relu(mul(x, -1)), this.slope)); // max(x, 0) − a·max(−x, 0)
  }
  outputShape(input: number[]): number[] {
    return input;
  }
  settings(): ModuleJson {
    return { type: 'LeakyReLU', slope: this.slope } as unknown as ModuleJson; // a type of its own
  }
}
// Model configs can name it: its keys, checked like the built-in layers'.
registerLayer('LeakyReLU', { keys: { slope: z.number().gt(0).lt(1) }, make: (j) => new LeakyReLU(j.slope as number) });

/** Linear bounds of leaky(z) on [l, u]: the chord above (leaky is convex), a line through 0 below. */
function leakyRelaxation(a: number) {
  return (l: number, u: number): Relaxation => {
    if (l >= 0) return { lowSlope: 1, lowIntercept: 0, upSlope: 1, upIntercept: 0 };
    if (u <= 0) return { lowSlope: a, lowIntercept: 0, upSlope: a, upIntercept: 0 };
    const s = (u - a * l) / (u - l);
    return { lowSlope: u >= -l ? 1 : a, lowIntercept: 0, upSlope: s, upIntercept: u - s * u };
  };
}
registerBoundRule('LeakyReLU', ({ node }) => {
  const a = (node.module as LeakyReLU).slope;
  return { kind: 'unary', f: (z) => (z >= 0 ? z : a * z), relax: leakyRelaxation(a) };
});

// ---- A residual model of the user's own: two Linear layers around a skip `add`.
class Residual extends Module {
  readonly type = 'Residual';
  readonly stem = this.registerModule('stem', new Linear(24));
  readonly fc1 = this.registerModule('fc1', new Linear(24));
  readonly act = this.registerModule('act', new LeakyReLU(0.1));
  readonly fc2 = this.registerModule('fc2', new Linear(24));
  readonly head = this.registerModule('head', new Linear(10));
  forward(x: Tensor): Tensor {
    const h = relu(this.stem.forward(x));
    const r = add(h, this.fc2.forward(this.act.forward(this.fc1.forward(h)))); // the skip connection
    return this.head.forward(relu(r));
  }
}

const data = loadEmbedded();
const PIXELS = data.test.pixels;

/** Everything a researcher does with the model, on one backend; every number it measured. */
async function study(backend: Backend, log: string[]) {
  backend.poison = true; // every fresh output NaN until written
  const model = new Residual().init({ input: [PIXELS], seed: 3, backend });
  const loader = new DataLoader(data.train, { batchSize: 64, backend, seed: 5 });
  const optimizer = new Adam(model.parameters(), { lr: 3e-3 });
  for (let step = 1; step <= 150; step++) {
    tidy(() => {
      const { x, t } = loader.next();
      backward(softmaxCrossEntropy(model.forward(x), t));
      optimizer.step();
    });
    if (step % 25 === 0) await backend.sync(); // let an interleaved run have the event loop
  }
  optimizer.dispose();
  loader.dispose();
  model.eval();
  const test = take(data.test, 300);
  const clean = await accuracy(model, test);
  const attacked = await pgdAttack(model, test, pgd(0.1, 10));
  const fast = await pgdAttack(model, test, fgsm(0.1));
  // The same attacks as objects (torchattacks' interface): settings checked when made, run on any model.
  expect((await PGD.of(0.1, 10).run(model, test)).accuracy).toBe(attacked.accuracy);
  expect((await new FGSM(0.1).run(model, test)).accuracy).toBe(fast.accuracy);
  expect(() => PGD.of(2, 10)).toThrow('pgd: epsilon 2 must be in [0, 1]');
  const noise = await makeNoise(model, take(data.train, 500), {
    steps: 30,
    batch: 64,
    lr: 1e-2,
    l2: 0.02,
    seed: 1,
    target: 3,
    limit: 0.3,
  });
  const [, noisy] = await robustness(model, test, [{ name: 'n3', target: 3, limit: 0.3, noise }]);
  const few = take(data.test, 40);
  const cert = await certifyModel(model, few, [0.005, 0.02], ['ibp', 'crown'], {
    epsilons: [0.005, 0.02],
    fgsm: false,
    steps: 20,
    restarts: 1,
    losses: ['ce', 'margin'],
    stepFactor: 2.5,
    target: null,
    seed: 1,
  });
  const params = await Promise.all(model.parameters().map((p) => p.read()));
  // Save (PyTorch's names: stem.weight, fc1.bias, …) and reload into a fresh definition.
  const bytes = encodeSafetensors(
    await Promise.all(
      model.namedParameters().map(async ([name, t]) => ({ name, shape: [...t.shape], data: await t.read() })),
    ),
  );
  const reloaded = new Residual().init({ input: [PIXELS], seed: 99, backend }).eval();
  reloaded.loadStateDict(new Map(decodeSafetensors(bytes, 'residual.safetensors').arrays.map((a) => [a.name, a])));
  expect(await accuracy(reloaded, test)).toBe(clean);
  expect((await pgdAttack(reloaded, test, pgd(0.1, 10))).accuracy).toBe(attacked.accuracy);
  reloaded.dispose();
  log.push(`clean ${clean}, pgd ${attacked.accuracy}, fgsm ${fast.accuracy}`);
  return { model, clean, pgd: attacked.accuracy, fgsm: fast.accuracy, noisy: noisy.accuracy, cert, params };
}

describe('research on a model of the user’s own (a Module subclass with a skip connection and a layer with its own rules)', () => {
  it('trains with Adam, is attacked (PGD, FGSM, universal noise) and certified on a backend from createBackend(); two backends interleaved give the same bits', async () => {
    const log: string[] = [];
    const alone = await study(await createBackend(), log);
    expect(alone.clean, 'trained').toBeGreaterThan(0.8);
    expect(alone.pgd).toBeLessThan(alone.clean);
    expect(alone.fgsm).toBeLessThan(alone.clean);
    expect(alone.pgd).toBeLessThanOrEqual(alone.fgsm + 0.05);
    expect(alone.noisy).toBeLessThanOrEqual(alone.clean);
    // The sandwich: IBP ≤ CROWN ≤ PGD ≤ clean at each ε.
    for (const eps of [0.005, 0.02]) {
      const at = (m: string) => alone.cert.rows.find((r) => r.epsilon === eps && r.method === m)!.accuracy;
      expect(at('ibp')).toBeLessThanOrEqual(at('crown'));
      expect(at('crown')).toBeLessThanOrEqual(at('pgd'));
      expect(at('pgd')).toBeLessThanOrEqual(alone.cert.clean);
    }
    expect(alone.cert.rows.find((r) => r.epsilon === 0.005 && r.method === 'crown')!.accuracy).toBeGreaterThan(0.5);
    // Two backends, the same study interleaved on the event loop: each ends with the bits of the run alone.
    const [a, b] = await Promise.all([study(await createBackend(), log), study(await createBackend(), log)]);
    for (const other of [a, b]) {
      expect([other.clean, other.pgd, other.fgsm, other.noisy]).toEqual([
        alone.clean,
        alone.pgd,
        alone.fgsm,
        alone.noisy,
      ]);
      expect(other.cert.rows.map((r) => [r.epsilon, r.method, r.accuracy])).toEqual(
        alone.cert.rows.map((r) => [r.epsilon, r.method, r.accuracy]),
      );
      other.params.forEach((p, i) =>
        expect(Buffer.from(p.buffer).equals(Buffer.from(alone.params[i].buffer))).toBe(true),
      );
    }
    console.log(log.join('\n'));
    for (const r of [alone, a, b]) r.model.dispose();
  }, 600_000);

  it('certified bounds on the residual graph equal the float64 reference to 1e-4 and are sound (10⁴ sampled points, vertices, PGD’s best point)', async () => {
    const backend = await createBackend();
    backend.poison = true;
    const model = new Residual().init({ input: [PIXELS], seed: 9, backend }).eval();
    const graph = boundGraph(model, [PIXELS]);
    expect(graph.nodes.map((n) => n.name)).toEqual(
      expect.arrayContaining(['input', 'stem', 'fc1', 'act', 'fc2', 'head']),
    );
    expect(graph.nodes.filter((n) => n.op?.kind === 'sum')).toHaveLength(1); // the skip connection
    const dense = await denseGraph(graph);
    const n = 3;
    const test = take(data.test, n);
    const labels = [...test.labels];
    const spec = marginSpecs(labels, 10);
    let unstable = 0;
    for (const eps of [0.01, 0.05]) {
      const box = linfBoxes(test.images, eps);
      const gpuIbp = (await ibp(graph, box.lo, box.hi, n, spec, 9)).bounds;
      const c = await crown(graph, box.lo, box.hi, n, spec, 9);
      const best = await pgdImages(model, test.images, labels, pgd(eps, 40, { loss: 'margin', seed: 1 }), PIXELS);
      for (let i = 0; i < n; i++) {
        const xi = test.images.subarray(i * PIXELS, (i + 1) * PIXELS);
        const refBox = linfBox(xi, eps);
        const rows = marginSpec(labels[i], 10);
        const refIbp = ibpRef(dense, refBox, rows);
        const refCrown = crownRef(dense, refBox, rows);
        unstable += refCrown.preActivation.reduce((s, b) => s + b.lo.filter((l, j) => l < 0 && b.hi[j] > 0).length, 0);
        const tol = (v: number) => 1e-4 * Math.max(1, Math.abs(v));
        for (let q = 0; q < 9; q++) {
          expect(Math.abs(gpuIbp[i * 9 + q] - refIbp.bounds[q]), `IBP ε=${eps} image ${i} row ${q}`).toBeLessThan(
            tol(refIbp.bounds[q]),
          );
          expect(
            Math.abs(c.backward![i * 9 + q] - refCrown.bounds[q]),
            `CROWN ε=${eps} image ${i} row ${q}`,
          ).toBeLessThan(tol(refCrown.bounds[q]));
        }
        const worst = new Float64Array(9).fill(Infinity);
        const see = (point: ArrayLike<number>) => {
          const z = forwardRef(dense, point);
          rows.forEach((r, q) => {
            worst[q] = Math.min(
              worst[q],
              r.reduce((s, cj, j) => s + cj * z[j], 0),
            );
          });
        };
        const r = seededRandom(50 + i);
        for (let t = 0; t < 10_000; t++)
          see(Float64Array.from(xi, (_, j) => refBox.lo[j] + r() * (refBox.hi[j] - refBox.lo[j])));
        for (let t = 0; t < 64; t++) see(Float64Array.from(xi, (_, j) => (r() < 0.5 ? refBox.lo[j] : refBox.hi[j])));
        see(best.subarray(i * PIXELS, (i + 1) * PIXELS));
        for (let q = 0; q < 9; q++) {
          expect(worst[q], `IBP unsound ε=${eps} image ${i} row ${q}`).toBeGreaterThanOrEqual(refIbp.bounds[q] - 1e-9);
          expect(worst[q], `CROWN unsound ε=${eps} image ${i} row ${q}`).toBeGreaterThanOrEqual(
            refCrown.bounds[q] - 1e-9,
          );
          // And the GPU's own (float32) bound, as certify uses it.
          expect(worst[q], `GPU CROWN unsound ε=${eps} image ${i} row ${q}`).toBeGreaterThanOrEqual(
            c.bounds[i * 9 + q] - 1e-4,
          );
        }
      }
    }
    expect(unstable, 'the relaxations (ReLU and LeakyReLU) were exercised').toBeGreaterThan(0);
    graph.dispose();
    model.dispose();
  }, 600_000);

  it('prunes by absolute and by activated value through forward hooks, by parameter name, on its own backend', async () => {
    const backend = await createBackend();
    backend.poison = true;
    const make = () => new Residual().init({ input: [PIXELS], seed: 4, backend }).eval();
    const byAbs = make();
    const before = await byAbs.fc1.weight!.read();
    const masks = await pruneModule(byAbs, [PIXELS], { method: 'abs', amount: 0.75, parameters: ['fc1.weight'] });
    expect([...masks.keys()]).toEqual(['fc1.weight']);
    const after = await byAbs.fc1.weight!.read();
    const cut = Math.round(0.75 * before.length);
    const order = [...before.keys()].sort((i, j) => Math.abs(before[i]) - Math.abs(before[j]) || i - j);
    order.forEach((idx, rank) => expect(after[idx]).toBe(rank < cut ? 0 : before[idx]));
    expect(await byAbs.fc2.weight!.read()).toEqual(await make().fc2.weight!.read()); // other parameters untouched

    // Activated value: |w_ij|·|mean x_j| over the inputs fc2 sees inside the residual block (the LeakyReLU's outputs).
    const byAct = make();
    const calib = take(data.train, 200);
    const w2 = await byAct.fc2.weight!.read();
    const means = new Float64Array(24);
    const seen = tidy(() => {
      const x = Tensor.fromArray(calib.images, [calib.count, PIXELS], false, backend);
      return byAct.act.forward(byAct.fc1.forward(relu(byAct.stem.forward(x)))).keep();
    });
    const acts = await seen.read();
    seen.dispose();
    for (let s = 0; s < calib.count; s++) for (let j = 0; j < 24; j++) means[j] += acts[s * 24 + j] / calib.count;
    const score = (i: number) => Math.abs(w2[i]) * Math.abs(means[i % 24]);
    const actMasks = await pruneModule(byAct, [PIXELS], {
      method: 'act',
      amount: 0.5,
      parameters: ['fc2.weight'],
      data: calib,
      calibration: 200,
    });
    const mask = actMasks.get('fc2.weight')!;
    const kept = [...mask.keys()].filter((i) => mask[i] === 1).map(score);
    const dropped = [...mask.keys()].filter((i) => mask[i] === 0).map(score);
    expect(dropped).toHaveLength(Math.round(0.5 * w2.length));
    expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...kept) * (1 + 1e-5) + 1e-9);
    await expect(pruneModule(byAct, [PIXELS], { method: 'act', amount: 0.5 })).rejects.toThrow(/needs data/);
    await expect(
      pruneModule(byAct, [PIXELS], { method: 'abs', amount: 0.5, parameters: ['act.weight'] }),
    ).rejects.toThrow(
      /no weight "act.weight" among the model's Linear and Conv2d layers \(stem.weight, fc1.weight, fc2.weight, head.weight\)/,
    );
    // The pruned model still certifies and attacks (its graph is the same).
    const few = take(data.test, 10);
    const pruned = await certifyModel(byAct, few, [0.005], ['ibp', 'crown'], null);
    expect(pruned.rows).toHaveLength(2);
    for (const m of [byAbs, byAct]) m.dispose();
  }, 300_000);

  it('uses the new layer in a JSON model config: certified equal to the reference, saved and reloaded with its config; a wrong key refused by name', async () => {
    const backend = await createBackend();
    backend.poison = true;
    const config = {
      input: [PIXELS],
      layers: [
        { type: 'Linear', out: 16 },
        { type: 'LeakyReLU', slope: 0.2 },
        { type: 'Linear', out: 10 },
      ],
    } as unknown as Parameters<typeof Sequential.fromJson>[0];
    const model = Sequential.fromJson(config, 2, backend).eval();
    expect(model.describe()).toBe('Linear[16] → LeakyReLU[16] → Linear[10]');
    const few = take(data.test, 4);
    const graph = boundGraph(model, [PIXELS]);
    const dense = await denseGraph(graph);
    const box = linfBoxes(few.images, 0.03);
    const spec = marginSpecs(few.labels, 10);
    const c = await crown(graph, box.lo, box.hi, 4, spec, 9);
    for (let i = 0; i < 4; i++) {
      const want = crownRef(
        dense,
        linfBox(few.images.subarray(i * PIXELS, (i + 1) * PIXELS), 0.03),
        marginSpec(few.labels[i], 10),
      ).bounds;
      want.forEach((w, q) =>
        expect(Math.abs(c.backward![i * 9 + q] - w)).toBeLessThan(1e-4 * Math.max(1, Math.abs(w))),
      );
    }
    graph.dispose();
    const bytes = await sequentialToSafetensors(model);
    const copy = sequentialFromSafetensors(bytes, 'leaky.safetensors', undefined, backend);
    expect(copy.modelJson()).toEqual(model.modelJson());
    expect(await accuracy(copy, take(data.test, 200))).toBe(await accuracy(model, take(data.test, 200)));
    const wrong = {
      input: [PIXELS],
      layers: [
        { type: 'Linear', out: 16 },
        { type: 'LeakyReLU', slop: 0.2 },
      ],
    };
    expect(() => Sequential.fromJson(wrong as unknown as typeof config, 1, backend)).toThrow(
      'layers[1].slope: LeakyReLU needs "slope"',
    );
    for (const m of [model, copy]) m.dispose();
  });

  it('decouples where it applies (a chain of its own layers, into CSR) and refuses the residual model by name', async () => {
    const backend = await createBackend();
    backend.poison = true;
    class Mlp extends Module {
      readonly type = 'Mlp';
      readonly fc1 = this.registerModule('fc1', new Linear(32));
      readonly fc2 = this.registerModule('fc2', new Linear(10));
      forward(x: Tensor): Tensor {
        return this.fc2.forward(relu(this.fc1.forward(x)));
      }
    }
    const mlp = new Mlp().init({ input: [PIXELS], seed: 6, backend }).eval();
    await pruneModule(mlp, [PIXELS], { method: 'abs', amount: 0.8 });
    const layers = await decoupleNet(mlp, [PIXELS]);
    expect(layers.map((l) => [l.name, l.csr.rows, l.csr.cols, l.after.map((a) => a.kind).join()])).toEqual([
      ['fc1', 32, PIXELS, 'relu'],
      ['fc2', 10, 32, ''],
    ]);
    expect(layers[0].csr.colIdx.length).toBe(Math.round(0.2 * 32 * PIXELS)); // the pruned entries leave no entry
    const sparse = new SparseNet(layers, ['csr', 'csr'], [], backend);
    const few = take(data.test, 64);
    const [dense, csr] = await Promise.all(
      [mlp, sparse].map((m) =>
        tidy(() =>
          m.forward(Tensor.fromArray(few.images, [64, PIXELS], false, backend), { train: false }).keep(),
        ).read(),
      ),
    );
    dense.forEach((v, i) => expect(Math.abs(csr[i] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
    sparse.dispose();
    const residual = new Residual().init({ input: [PIXELS], seed: 1, backend });
    await expect(decoupleNet(residual, [PIXELS])).rejects.toThrow(
      /^decouple: scale:\d+ \(scale\) takes node \d+, not the op before it: the model is not a chain of layers, and decoupling applies to chains$/,
    );
    for (const m of [mlp, residual]) m.dispose();
  });

  it('refuses, by name, an op with no rule and a tensor that left the trace', async () => {
    const backend = await createBackend();
    class Squared extends Module {
      readonly type = 'Squared';
      readonly fc = this.registerModule('fc', new Linear(10));
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x);
        return mul(h, h); // a product of two traced tensors: no linear relaxation here
      }
    }
    const sq = new Squared().init({ input: [PIXELS], backend }).eval();
    expect(() => boundGraph(sq, [PIXELS])).toThrow(/^certify: mul:\d+: a product of two traced tensors is not affine/);
    class Shifted extends Module {
      readonly type = 'Shifted';
      readonly fc = this.registerModule('fc', new Linear(10));
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x);
        return sub(h, max(h, 1).reshape([h.shape[0], 1])); // max over a row does not report itself
      }
    }
    const shifted = new Shifted().init({ input: [PIXELS], backend }).eval();
    expect(() => boundGraph(shifted, [PIXELS])).toThrow(
      /^trace: reshape takes a tensor made by max \[2,1\], an op that does not report itself to traces/,
    );
    sq.dispose();
    shifted.dispose();
  });
});
