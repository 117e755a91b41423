import { describe, expect, it } from 'vitest';
import { compare, useGpu } from '../helpers';
import { smallNet } from './small-net';
import { refInputGradient } from '../ref/attack-ref';
import { Tensor, backward, tidyAsync } from '../../src/tensor/tensor';
import { attackObjective, pgd, pgdImages, type PgdSettings } from '../../src/adversarial/pgd';
import { oneHot } from '../../src/data/dataset';
import { modelOutputs } from '../../src/detect/evaluate';
import { detectScores } from '../../src/detect/scores';
import { seededRandom } from '../../src/nn/random';

useGpu();

/** float64 objective of a batch: the attack loss ∓ weight × the detector penalty, the top class of each row fixed at `tops`. */
function refObjective(
  xs: Float64Array[],
  labels: number[],
  tops: number[],
  layers: ReturnType<typeof smallNet>['layers'],
  s: PgdSettings,
): number {
  let loss = 0,
    pen = 0;
  xs.forEach((x, i) => {
    const z = refInputGradient(x, layers, labels[i], 'ce').logits;
    const m = Math.max(...z),
      lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    if (s.loss === 'ce') loss += lse - z[labels[i]];
    else loss += Math.max(...Array.from(z).filter((_, j) => j !== labels[i])) - z[labels[i]];
    pen +=
      s.detector!.score === 'onehot'
        ? z.reduce((a, v, j) => a + (v - (j === tops[i] ? 1 : 0)) ** 2, 0)
        : lse - z[tops[i]];
  });
  const n = s.loss === 'ce' ? xs.length : 1; // CE and its penalty are batch means; the margin and its penalty sums
  return loss / n - (s.detector!.weight * pen) / n;
}

describe('detector-aware PGD', () => {
  for (const [loss, score] of [
    ['ce', 'onehot'],
    ['margin', 'onehot'],
    ['ce', 'msp'],
  ] as const)
    it(`${loss} against the ${score} detector: the input gradient of the objective matches float64 central differences`, async () => {
      const { layers, net } = smallNet(5);
      const r = seededRandom(9);
      const n = 6,
        labels = [0, 3, 5, 7, 9, 2];
      const xs = Array.from({ length: n }, () => Float64Array.from({ length: 12 }, () => r()));
      const s: PgdSettings = { ...pgd(0.1, 10, { loss }), detector: { score, weight: 0.7 } };
      const tops = xs.map((x) => {
        const z = refInputGradient(x, layers, 0, 'ce').logits;
        return z.indexOf(Math.max(...z));
      });
      const grad = await tidyAsync(async () => {
        const x = Tensor.fromArray(Float32Array.from(xs.flatMap((v) => Array.from(v))), [n, 12], true);
        backward(attackObjective(s, net.forward(x, { train: false }), Tensor.fromArray(oneHot(labels, 10), [n, 10])));
        return x.grad!.read();
      });
      const h = 1e-5,
        fd: number[] = [];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < 12; j++) {
          const plus = xs.map((v) => Float64Array.from(v)),
            minus = xs.map((v) => Float64Array.from(v));
          plus[i][j] += h;
          minus[i][j] -= h;
          fd.push(
            (refObjective(plus, labels, tops, layers, s) - refObjective(minus, labels, tops, layers, s)) / (2 * h),
          );
        }
      compare(`${loss} vs ${score}`, grad, fd, 1e-3, 1e-4);
      net.dispose();
    });

  it('a large detector weight keeps the adversarial outputs closer to one-hot than plain PGD, inside the threat model', async () => {
    const { net } = smallNet(7);
    const r = seededRandom(4);
    const n = 200;
    const images = Float32Array.from({ length: n * 12 }, () => r());
    const labels = Uint8Array.from({ length: n }, () => Math.floor(r() * 10));
    const plain = pgd(0.2, 20, { loss: 'margin' });
    const aware: PgdSettings = { ...plain, detector: { score: 'onehot', weight: 5 } };
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const dist = async (s: PgdSettings) => {
      const adv = await pgdImages(net, images, labels, s, 12);
      adv.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        expect(Math.abs(v - images[i])).toBeLessThanOrEqual(0.2 + 1e-6);
      });
      return mean(detectScores('onehot-distance', await modelOutputs(net, adv, 12), 10));
    };
    expect(await dist(aware)).toBeLessThan(0.8 * (await dist(plain)));
    net.dispose();
  });
});
