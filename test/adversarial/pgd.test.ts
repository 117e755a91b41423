import { describe, expect, it } from 'vitest';
import { compare, rng, useGpu } from '../helpers';
import { smallNet } from './small-net';
import { refInputGradient, refPgdIterates, refPgdOutcome, type RefPgd } from '../ref/attack-ref';
import { pgdAttack, pgdImages, fgsm, pgd, randomStart, validatePgd, type PgdSettings } from '../../src/adversarial/pgd';
import { trainModel } from '../../src/nn/train';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { accuracy } from '../../src/nn/evaluate';
import { loadEmbedded } from '../../src/data/node-loader';
import { take, type Dataset } from '../../src/data/dataset';
import { ConfigError } from '../../src/util/errors';

useGpu();

const P = 12;
/** Images in [0, 1] with many pixels exactly 0 or 1 (where clamp's gradient matters). */
function images(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * P }, () => {
    const u = r();
    return u < 0.4 ? 0 : u > 0.85 ? 1 : Math.fround(r());
  });
}
const labelsFor = (n: number, seed: number) => {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 10));
};
const ref = (s: PgdSettings): RefPgd => ({
  epsilon: s.epsilon,
  steps: s.steps,
  stepSize: s.stepSize,
  loss: s.loss,
  target: s.target,
});
const row = (a: Float32Array, i: number) => Float64Array.from(a.subarray(i * P, (i + 1) * P));

describe('PGD and FGSM against a float64 reference attack', () => {
  const cases: [string, PgdSettings][] = [
    ['FGSM, cross-entropy', fgsm(0.1)],
    ['FGSM, margin, targeted', fgsm(0.15, 4, 'margin')],
    ['PGD-7, cross-entropy, random start', pgd(0.1, 7)],
    ['PGD-7, margin', pgd(0.2, 7, { loss: 'margin', randomStart: false })],
    ['PGD-5, cross-entropy, targeted', pgd(0.3, 5, { target: 2 })],
  ];
  for (const [name, s] of cases) {
    it(`${name}: the same adversarial images`, async () => {
      const { layers, net } = smallNet(31);
      const n = 24;
      const x = images(n, 5),
        labels = labelsFor(n, 6);
      const got = await pgdImages(net, x, labels, s, P);
      const start = s.randomStart ? randomStart(x, s.epsilon, s.seed, 0, 0) : x;
      let compared = 0;
      for (let i = 0; i < n; i++) {
        const r = refPgdIterates(row(x, i), row(start, i), labels[i], layers, ref(s));
        if (r.minAbsGrad < 1e-5) continue; // a sign near a tie may flip in float32: not comparable
        compare(`${name}, image ${i}`, got.subarray(i * P, (i + 1) * P), r.iterates[s.steps], 0, 2e-6);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(n - 2);
      net.dispose();
    });
  }

  it('robust accuracy, per-image outcome and restarts match the reference (early stop across check points)', async () => {
    const { layers, net } = smallNet(17, [12, 16, 10], 0.8);
    const n = 40;
    const x = images(n, 8);
    // Half the labels are the clean prediction (attackable), half random.
    const clean = Uint8Array.from({ length: n }, (_, i) => {
      const z = refInputGradient(row(x, i), layers, 0, 'ce').logits;
      return z.indexOf(Math.max(...z));
    });
    const labels = Uint8Array.from(clean, (c, i) => (i % 2 ? c : labelsFor(n, 9)[i]));
    const data: Dataset = { images: x, labels, count: n, pixels: P, shape: [1, 1, P], source: 'random' };
    for (const s of [
      pgd(0.04, 23, { restarts: 3, seed: 4 }),
      pgd(0.06, 12, { loss: 'margin', restarts: 2, seed: 2 }),
      pgd(0.08, 14, { target: 7, restarts: 2 }),
    ]) {
      const got = await pgdAttack(net, data, s, n);
      let right = 0;
      for (let i = 0; i < n; i++) {
        const starts = Array.from({ length: s.restarts }, (_, r) => row(randomStart(x, s.epsilon, s.seed, r, 0), i));
        const want = refPgdOutcome(row(x, i), starts, labels[i], layers, ref(s));
        expect(got.succeeded[i], `image ${i}, ${s.loss}`).toBe(want.succeeded ? 1 : 0);
        expect(got.predictions[i], `image ${i}, ${s.loss}`).toBe(want.pred);
        if (want.pred === labels[i]) right++;
      }
      expect(got.accuracy).toBe(right / n);
      const succeeded = got.succeeded.reduce((a, b) => a + b, 0);
      expect(succeeded).toBeGreaterThan(0); // the case exercises early stops
      expect(succeeded).toBeLessThan(n);
    }
    net.dispose();
  });

  it('every iterate stays in [0, 1] and within ε of the clean image', async () => {
    const { net } = smallNet(3);
    const n = 30,
      eps = 0.07;
    const x = images(n, 12),
      labels = labelsFor(n, 13);
    for (let steps = 1; steps <= 6; steps++) {
      const got = await pgdImages(net, x, labels, pgd(eps, steps, { stepSize: 0.05 }), P);
      for (let i = 0; i < got.length; i++) {
        expect(got[i]).toBeGreaterThanOrEqual(0);
        expect(got[i]).toBeLessThanOrEqual(1);
        expect(Math.abs(got[i] - x[i])).toBeLessThanOrEqual(eps + 1e-6);
      }
    }
    net.dispose();
  });

  it('rejects bad settings with a clear error', () => {
    expect(() => validatePgd({ ...pgd(0.1, 10), restarts: 0 }, 10)).toThrow(/restarts 0 must be a positive integer/);
    expect(() => validatePgd({ ...pgd(0.1, 10), loss: 'hinge' as never }, 10)).toThrow(
      /loss "hinge": use ce or margin/,
    );
    expect(() => validatePgd(pgd(1.5, 10), 10)).toThrow(ConfigError);
    expect(() => validatePgd(pgd(0.1, 10, { target: 10 }), 10)).toThrow(/target 10 is not a class 0–9/);
  });
});

describe('sanity of the attacks on a trained model', () => {
  it('ε = 0 changes nothing; robust accuracy falls with ε and with steps, to about 0 at ε = 0.3', async () => {
    const all = loadEmbedded();
    const test = take(all.test, 300);
    const { model } = await trainModel(
      { ...DEFAULT_CONFIG, hidden: [64], iterations: 200, batch: 50, evalEvery: 0, seed: 2 },
      { train: take(all.train, 3000), test, name: 'embedded-3000' },
    );
    const clean = await accuracy(model, test);
    expect(clean).toBeGreaterThan(0.85);
    expect((await pgdAttack(model, test, fgsm(0))).accuracy).toBe(clean);
    const byEps: number[] = [];
    for (const eps of [0.02, 0.05, 0.1, 0.2, 0.3]) byEps.push((await pgdAttack(model, test, pgd(eps, 20))).accuracy);
    for (let k = 1; k < byEps.length; k++) expect(byEps[k]).toBeLessThanOrEqual(byEps[k - 1]);
    expect(byEps[0]).toBeLessThan(clean);
    expect(byEps[4]).toBeLessThan(0.02);
    // Same step size, more steps: never weaker; FGSM no stronger than PGD at the same ε.
    const bySteps: number[] = [];
    for (const steps of [1, 5, 20])
      bySteps.push((await pgdAttack(model, test, pgd(0.05, steps, { stepSize: 0.01 }))).accuracy);
    expect(bySteps[1]).toBeLessThanOrEqual(bySteps[0]);
    expect(bySteps[2]).toBeLessThanOrEqual(bySteps[1]);
    expect(bySteps[2]).toBeLessThan(bySteps[0]);
    expect((await pgdAttack(model, test, fgsm(0.1))).accuracy).toBeGreaterThanOrEqual(byEps[2]);
    model.dispose();
  });
});
