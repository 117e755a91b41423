import { describe, expect, it } from 'vitest';
import { flaggedRate, rocAuc, rocCurve, thresholdAtFpr } from '../../src/metrics/roc';
import { DETECT_SCORES, detectScores } from '../../src/detect/scores';
import { seededRandom } from '../../src/nn/random';

/** AUC by definition: every (negative, positive) pair, ties counting one half. */
function pairwiseAuc(neg: number[], pos: number[]): number {
  let s = 0;
  for (const a of neg) for (const b of pos) s += b > a ? 1 : b === a ? 0.5 : 0;
  return s / (neg.length * pos.length);
}
const randomScores = (n: number, seed: number, shift: number, round: number) => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Math.round((r() + shift) * round) / round);
};

describe('ROC analysis against a direct computation', () => {
  it('AUC equals the pairwise definition, ties included (coarse scores make many)', () => {
    for (const [seed, round] of [
      [1, 10],
      [2, 4],
      [3, 1000],
      [4, 2],
    ]) {
      const neg = randomScores(300, seed, 0, round),
        pos = randomScores(200, seed + 10, 0.3, round);
      expect(rocAuc(neg, pos)).toBeCloseTo(pairwiseAuc(neg, pos), 12);
    }
    expect(rocAuc([1, 2, 3], [4, 5])).toBe(1);
    expect(rocAuc([4, 5], [1, 2, 3])).toBe(0);
    expect(rocAuc([2, 2, 2], [2, 2])).toBe(0.5);
    expect(() => rocAuc([], [1])).toThrow(/needs clean and noisy scores/);
    expect(() => rocAuc([NaN], [1])).toThrow(/NaN/);
  });

  it('the ROC curve runs from (0,0) to (1,1), never falls, and its trapezoid area is the AUC', () => {
    const neg = randomScores(250, 7, 0, 20),
      pos = randomScores(150, 8, 0.2, 20);
    const c = rocCurve(neg, pos);
    expect(c[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(c[c.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
    let area = 0;
    for (let i = 1; i < c.length; i++) {
      expect(c[i].fpr).toBeGreaterThanOrEqual(c[i - 1].fpr);
      expect(c[i].tpr).toBeGreaterThanOrEqual(c[i - 1].tpr);
      area += ((c[i].fpr - c[i - 1].fpr) * (c[i].tpr + c[i - 1].tpr)) / 2;
    }
    expect(area).toBeCloseTo(pairwiseAuc(neg, pos), 12);
  });

  it('the threshold at 5% FPR flags at most 5% of the clean scores it was chosen on, and is the lowest that does', () => {
    for (const round of [1000, 10, 3]) {
      const clean = randomScores(400, 5, 0, round);
      const t = thresholdAtFpr(clean, 0.05);
      expect(flaggedRate(clean, t)).toBeLessThanOrEqual(0.05);
      const lower = Math.max(...clean.filter((v) => v < t));
      if (Number.isFinite(lower)) expect(flaggedRate(clean, lower)).toBeGreaterThan(0.05);
    }
    expect(thresholdAtFpr([1, 1, 1, 1], 0.05)).toBe(Infinity); // any threshold that flags one flags all
  });
});

describe('detection scores against float64 references', () => {
  const classes = 10;
  const r = seededRandom(11);
  const outputs = Float64Array.from({ length: 50 * classes }, () => 2 * r() - 0.5);
  // A few exact one-hot rows and a tie for the top value.
  outputs.fill(0, 0, 10);
  outputs[3] = 1;
  outputs[10 + 2] = 1.6;
  outputs[10 + 7] = 1.6; // above every random value (< 1.5)
  const row = (i: number) => Array.from(outputs.subarray(i * classes, (i + 1) * classes));

  it('onehot-distance: the smallest L2 distance to any of the 10 one-hot vectors (brute force)', () => {
    const got = detectScores('onehot-distance', outputs, classes);
    for (let i = 0; i < 50; i++) {
      const y = row(i);
      const want = Math.min(...y.map((_, k) => Math.hypot(...y.map((v, j) => v - (j === k ? 1 : 0)))));
      expect(got[i]).toBeCloseTo(want, 12);
    }
    expect(got[0]).toBe(0);
  });

  it('neg-max, neg-gap, norm-deviation and neg-msp by their definitions (sorting, hypot, the full softmax)', () => {
    const s = Object.fromEntries(DETECT_SCORES.map((k) => [k, detectScores(k, outputs, classes)]));
    for (let i = 0; i < 50; i++) {
      const y = row(i);
      const sorted = [...y].sort((a, b) => b - a);
      expect(s['neg-max'][i]).toBe(-sorted[0]);
      expect(s['neg-gap'][i]).toBeCloseTo(-(sorted[0] - sorted[1]), 14);
      expect(s['norm-deviation'][i]).toBeCloseTo(Math.abs(Math.hypot(...y) - 1), 12);
      const e = y.map(Math.exp),
        z = e.reduce((a, b) => a + b, 0);
      expect(s['neg-msp'][i]).toBeCloseTo(-Math.max(...e) / z, 12);
    }
    expect(s['neg-gap'][1]).toBe(-0); // two equal top values: no gap
  });

  it('a row count that does not divide is refused', () => {
    expect(() => detectScores('neg-max', new Float32Array(15), 10)).toThrow(/not a multiple of 10 classes/);
  });
});

describe('detection on the GPU against a float64 forward', async () => {
  const { useGpu } = await import('../helpers');
  useGpu();
  it("model outputs match a float64 forward; each row's AUC and rates match scores computed from those float64 outputs", async () => {
    const { smallNet } = await import('../adversarial/small-net');
    const { refInputGradient } = await import('../ref/attack-ref');
    const { modelOutputs, detectionRows, universalAttack } = await import('../../src/detect/evaluate');
    const { layers, net } = smallNet(21);
    const r = seededRandom(3);
    const dataset = (n: number) => ({
      images: Float32Array.from({ length: n * 12 }, () => r()),
      labels: Uint8Array.from({ length: n }, () => Math.floor(r() * 10)),
      count: n,
      pixels: 12,
      shape: [1, 1, 12],
      source: 'random',
    });
    const validation = dataset(300),
      test = dataset(400);
    const ref = (images: Float32Array) => {
      const out = new Float64Array((images.length / 12) * 10);
      for (let i = 0; i < images.length / 12; i++)
        out.set(
          refInputGradient(Float64Array.from(images.subarray(i * 12, (i + 1) * 12)), layers, 0, 'ce').logits,
          i * 10,
        );
      return out;
    };
    const got = await modelOutputs(net, test.images, 12);
    const want = ref(test.images);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    const noise = {
      target: 3,
      limit: 0.3,
      name: '3/0.3',
      noise: Float32Array.from({ length: 12 }, (_, i) => (i % 2 ? 0.3 : -0.3)),
    };
    const attack = universalAttack(test, noise);
    attack.images.forEach((v, i) =>
      expect(v).toBe(Math.fround(Math.min(1, Math.max(0, test.images[i] + noise.noise[i % 12])))),
    );
    const other = {
      ...universalAttack(test, { ...noise, name: '3/0.3b', noise: noise.noise.map((v) => -v) }),
      group: attack.group,
    };
    const rows = await detectionRows(net, validation, test, [attack, other], [...DETECT_SCORES]);
    const noisyRef = ref(attack.images),
      valRef = ref(validation.images),
      otherRef = ref(other.images);
    const argmax = (y: Float64Array, i: number) => {
      let b = 0;
      for (let k = 1; k < 10; k++) if (y[i * 10 + k] > y[i * 10 + b]) b = k;
      return b;
    };
    for (const score of DETECT_SCORES) {
      // Evaded: wrong and not flagged; the worst row: by either attack of the group.
      const t = thresholdAtFpr(detectScores(score, valRef, 10), 0.05);
      const evadedBy = (out: Float64Array) => {
        const sc = detectScores(score, out, 10);
        return Array.from({ length: test.count }, (_, i) => argmax(out, i) !== test.labels[i] && sc[i] < t);
      };
      const [a, b] = [evadedBy(noisyRef), evadedBy(otherRef)];
      const share = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
      expect(rows.find((r) => r.score === score && r.attack === attack.name)!.evaded).toBeCloseTo(share(a), 1);
      const worst = rows.find((r) => r.score === score && r.attack.startsWith('worst of'))!;
      expect(worst.attack).toBe(`worst of ${attack.group} (2 attacks)`);
      expect(worst.evaded).toBeCloseTo(share(a.map((v, i) => v || b[i])), 1);
      expect(worst.evaded).toBeGreaterThanOrEqual(Math.max(share(a), share(b)) - 0.01);
    }
    for (const row of rows.filter((r) => r.attack === attack.name)) {
      const clean = detectScores(row.score, want, 10),
        noisy = detectScores(row.score, noisyRef, 10);
      expect(row.auc, row.score).toBeCloseTo(rocAuc(clean, noisy), 2);
      const t = thresholdAtFpr(detectScores(row.score, valRef, 10), 0.05);
      expect(row.tprAt5, row.score).toBeCloseTo(flaggedRate(noisy, t), 1);
      expect(row.fprTest).toBeCloseTo(flaggedRate(clean, t), 1);
    }
    net.dispose();
  });
});
