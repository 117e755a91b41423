import { describe, expect, it } from 'vitest';
import { randomArray, useGpu, testDataset } from '../helpers';
import { modelOfLayers } from '../../src/nn/study-models';
import { fcLayers } from '../../src/nn/layer-spec';
import { Tensor } from '../../src/tensor/tensor';
import { Pruner, parseScope, type PruneMethod } from '../../src/prune/prune';
import { layerInputStats } from '../../src/prune/stats';
import type { Dataset } from '../../src/data/dataset';
import type { Sequential } from '../../src/nn/modules';

useGpu();

const SIZES = [12, 9, 7, 10];
function net(weights: Float32Array[]): Sequential {
  const params = weights.flatMap((w, i) => [
    { name: `fc${i + 1}.weight`, tensor: Tensor.fromArray(w, [SIZES[i + 1], SIZES[i]]).keep() },
    {
      name: `fc${i + 1}.bias`,
      tensor: Tensor.fromArray(
        randomArray(SIZES[i + 1], 50 + i).map((v) => v + 2),
        [SIZES[i + 1]],
      ).keep(),
    },
  ]);
  return modelOfLayers(fcLayers(SIZES), 0, 0, undefined, params);
}
const randomWeights = (seed: number) =>
  SIZES.slice(1).map((out, i) => Float32Array.from(randomArray(out * SIZES[i], seed + i)));
// Only three magnitudes: most weights tie, so the count must still be exact.
const tiedWeights = () =>
  SIZES.slice(1).map((out, i) => Float32Array.from({ length: out * SIZES[i] }, (_, k) => [0.5, -0.5, 0.25][k % 3]));

function dataset(n: number, seed: number): Dataset {
  return {
    images: Float32Array.from(randomArray(n * 12, seed, 0, 1)),
    labels: new Uint8Array(n),
    count: n,
    pixels: 12,
    shape: [1, 1, 12],
    source: 'test',
  };
}
const zeros = (a: Float32Array) => a.reduce((k, v) => k + (v === 0 ? 1 : 0), 0);

async function prunedWeights(p: Pruner, ratio: number): Promise<Float32Array[]> {
  const m = p.prunedModel(ratio);
  const out = await Promise.all(m.weights.map((w) => w.read()));
  m.weights.forEach((w) => w.dispose());
  return out;
}

describe('pruning', () => {
  const RATIOS = [0, 0.013, 0.25, 0.5, 0.77, 0.99, 1];
  for (const ties of [false, true])
    for (const scopeName of ['per-matrix', 'layer:2', 'global']) {
      it(`prunes exactly round(r·n) weights: ${scopeName}${ties ? ', tied magnitudes' : ''}`, async () => {
        const w = ties ? tiedWeights() : randomWeights(3);
        const model = net(w);
        const p = new Pruner(model, w, null, {
          method: 'abs',
          scope: parseScope(scopeName, 3),
          combinedOffset: 0.07,
          seed: 1,
        });
        for (const r of RATIOS) {
          const pw = await prunedWeights(p, r);
          const counts = pw.map(zeros);
          expect(counts, `ratio ${r}`).toEqual(p.prunedCounts(r));
          const n = w.map((x) => x.length);
          if (scopeName === 'per-matrix') expect(counts).toEqual(n.map((k) => Math.round(r * k)));
          if (scopeName === 'layer:2') expect(counts).toEqual([0, Math.round(r * n[1]), 0]);
          if (scopeName === 'global')
            expect(counts.reduce((a, b) => a + b)).toBe(Math.round(r * n.reduce((a, b) => a + b)));
          // Pruned weights are the smallest: every survivor is at least as large as every pruned one.
          pw.forEach((q, m) => {
            const pruned = w[m].filter((_, i) => q[i] === 0).map(Math.abs);
            const kept = w[m].filter((_, i) => q[i] !== 0).map(Math.abs);
            if (scopeName !== 'global' && pruned.length && kept.length)
              expect(Math.max(...pruned)).toBeLessThanOrEqual(Math.min(...kept));
          });
          if (ties && scopeName === 'per-matrix' && r === 0.25) {
            // Ties go by index: the first of the equal 0.25s are pruned.
            const firstKept = [...pw[0]].findIndex((v, i) => v !== 0 && Math.abs(w[0][i]) === 0.25);
            const lastPruned = [...pw[0]]
              .map((v, i) => (v === 0 ? i : -1))
              .filter((i) => i >= 0)
              .pop()!;
            if (firstKept >= 0) expect(lastPruned).toBeLessThan(firstKept);
          }
        }
        // Biases are never pruned and each ratio starts from the trained weights.
        const m = p.prunedModel(0.9);
        expect(await m.params[1].tensor.read()).toEqual(await model.params[1].tensor.read());
        expect(zeros(await m.weights[0].read())).toBe(p.prunedCounts(0.9)[0]);
        expect(zeros(await p.prunedModel(0.1).weights[0].read())).toBe(p.prunedCounts(0.1)[0]);
        p.dispose();
        model.dispose();
      });
    }

  it("one-pass activated value equals the study's slow loop (Σ_s w ⊙ xᵀ on the CPU)", async () => {
    const w = randomWeights(9);
    const model = net(w);
    const data = dataset(300, 4);
    const indices = Array.from({ length: 300 }, (_, i) => i);
    const stats = await layerInputStats(model, data, indices, 128);
    // Slow loop: per sample, the layer input x (float64 forward) and the running sum of w_ij·x_j.
    const slow = w.map((m) => new Float64Array(m.length));
    const biases = await Promise.all(model.params.filter((_, i) => i % 2).map((p) => p.tensor.read()));
    for (let s = 0; s < data.count; s++) {
      let x = Array.from(data.images.subarray(s * 12, (s + 1) * 12));
      w.forEach((m, l) => {
        const [out, inn] = [SIZES[l + 1], SIZES[l]];
        for (let i = 0; i < out; i++) for (let j = 0; j < inn; j++) slow[l][i * inn + j] += m[i * inn + j] * x[j];
        const next = Array.from({ length: out }, (_, i) => {
          let v = biases[l][i];
          for (let j = 0; j < inn; j++) v += m[i * inn + j] * x[j];
          return l + 1 < w.length ? Math.max(v, 0) : v;
        });
        x = next;
      });
    }
    w.forEach((m, l) => {
      const inn = SIZES[l];
      for (let k = 0; k < m.length; k++) {
        const want = Math.abs(slow[l][k] / data.count);
        const got = Math.abs(m[k]) * Math.abs(stats.mean[l][k % inn]);
        if (Math.abs(got - want) > 1e-5 + 1e-4 * want)
          expect.fail(`layer ${l + 1} weight ${k}: one-pass ${got}, slow loop ${want}`);
      }
    });
    model.dispose();
  });

  it('combined prunes the union of abs at r and act at r − 0.07', async () => {
    const w = randomWeights(11);
    const model = net(w);
    const data = dataset(200, 6);
    const stats = await layerInputStats(
      model,
      data,
      Array.from({ length: 200 }, (_, i) => i),
    );
    const make = (method: PruneMethod) =>
      new Pruner(model, w, stats, { method, scope: { kind: 'per-matrix' }, combinedOffset: 0.07, seed: 1 });
    const [comb, abs, act] = [make('combined'), make('abs'), make('act')];
    for (const r of [0.05, 0.3, 0.6]) {
      const [c, a, b] = await Promise.all([
        prunedWeights(comb, r),
        prunedWeights(abs, r),
        prunedWeights(act, Math.max(r - 0.07, 0)),
      ]);
      c.forEach((cm, m) =>
        cm.forEach((v, i) =>
          expect(v === 0, `ratio ${r} matrix ${m} weight ${i}`).toBe(a[m][i] === 0 || b[m][i] === 0),
        ),
      );
    }
    [comb, abs, act].forEach((p) => p.dispose());
    model.dispose();
  });

  it('pixel-mask (control) zeroes whole first-layer columns, darkest calibration pixels first, and nothing else', async () => {
    const w = randomWeights(21);
    const model = net(w);
    // Pixel j has mean ≈ j/12 (plus noise): the order of columns is known independently.
    const n = 300;
    const images = Float32Array.from({ length: n * 12 }, (_, k) =>
      Math.min(1, (k % 12) / 12 + 0.01 * ((k * 7919) % 3)),
    );
    const data = testDataset(images, [1, 1, 12], 'ramp');
    const stats = await layerInputStats(
      model,
      data,
      Array.from({ length: n }, (_, i) => i),
    );
    const p = new Pruner(model, w, stats, {
      method: 'pixel-mask',
      scope: parseScope('layer:1', 3),
      combinedOffset: 0.07,
      seed: 1,
    });
    for (const pixels of [0, 1, 5, 12]) {
      const got = await prunedWeights(p, pixels / 12);
      for (let o = 0; o < 9; o++)
        for (let j = 0; j < 12; j++)
          expect(got[0][o * 12 + j] === 0, `pixels ${pixels}, unit ${o}, column ${j}`).toBe(j < pixels);
      expect(got.slice(1)).toEqual(w.slice(1));
    }
    p.dispose();
    expect(
      () =>
        new Pruner(model, w, stats, {
          method: 'pixel-mask',
          scope: { kind: 'per-matrix' },
          combinedOffset: 0.07,
          seed: 1,
        }),
    ).toThrow(/its scope is layer:1/);
    model.dispose();
  });

  it('rejects unknown scopes and out-of-range layers', () => {
    expect(() => parseScope('layer:4', 3)).toThrow(/weight matrices 1–3/);
    expect(() => parseScope('everything', 3)).toThrow(/use per-matrix, global or layer:K/);
  });
});
