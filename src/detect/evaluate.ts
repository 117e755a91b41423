import type { Dataset } from '../data/dataset.js';
import { outputClasses, type FrozenClassifier } from '../adversarial/frozen.js';
import { pgdImages, attackName, type PgdSettings } from '../adversarial/pgd.js';
import type { NoiseVector } from '../adversarial/evaluate.js';
import { EVAL_BATCH } from '../nn/evaluate.js';
import { Tensor, tidy } from '../tensor/tensor.js';
import { flaggedRate, rocAuc, rocCurve, thresholdAtFpr, type RocPoint } from '../metrics/roc.js';
import { detectScores, type DetectScore } from './scores.js';

/** Raw outputs [n, classes] of the model on `images` ([n, pixels]), batched, read back once per batch. */
export async function modelOutputs(
  model: FrozenClassifier,
  images: Float32Array,
  pixels: number,
  classes = outputClasses(model, pixels),
  batch = EVAL_BATCH,
): Promise<Float32Array> {
  const n = images.length / pixels;
  const out = new Float32Array(n * classes);
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const y = tidy(() =>
      model
        .forward(
          Tensor.fromArray(images.subarray(start * pixels, (start + m) * pixels), [m, pixels], false, model.backend),
          { train: false },
        )
        .keep(),
    );
    out.set(await y.read(), start * classes);
    y.dispose();
    model.backend.runner.flush();
  }
  return out;
}

const argmaxRows = (y: Float32Array, classes: number): Uint8Array => {
  const n = y.length / classes,
    p = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    let b = 0;
    for (let k = 1; k < classes; k++) if (y[r * classes + k] > y[r * classes + b]) b = k;
    p[r] = b;
  }
  return p;
};

/**
 * A noisy version of the test images: under a universal noise vector, or a per-image attack.
 * Attacks of one `group` (PGD at one ε, plain and detector-aware) also get a worst-case row.
 */
export interface DetectAttack {
  name: string;
  group: string;
  images: Float32Array;
}

export const universalAttack = (test: Dataset, v: NoiseVector): DetectAttack => ({
  name: `universal ${v.name}`,
  group: `universal ${v.name}`,
  images: test.images.map((x, i) => Math.min(1, Math.max(0, x + v.noise[i % test.pixels]))),
});

export async function pgdDetectAttack(
  model: FrozenClassifier,
  test: Dataset,
  s: PgdSettings,
  /** Images attacked so far, after each chunk (for a progress bar). */
  progress?: (done: number, total: number) => void,
  chunk = 500,
): Promise<DetectAttack> {
  const images = new Float32Array(test.images.length);
  progress?.(0, test.count);
  for (let start = 0; start < test.count; start += chunk) {
    const n = Math.min(chunk, test.count - start);
    images.set(
      await pgdImages(
        model,
        test.images.subarray(start * test.pixels, (start + n) * test.pixels),
        test.labels.subarray(start, start + n),
        s,
        test.pixels,
      ),
      start * test.pixels,
    );
    progress?.(start + n, test.count);
  }
  return { name: `${attackName(s)} ε=${s.epsilon}`, group: `pgd-${s.loss} ε=${s.epsilon}`, images };
}

export interface DetectRow {
  score: DetectScore;
  attack: string;
  /** ROC-AUC of clean test images against all their noisy versions, and against those that fooled the model only. */
  auc: number;
  aucFooled: number | null;
  /** The threshold flagging 5% of clean validation images; the share of noisy (all, fooled) and clean test images it flags. */
  threshold: number;
  tprAt5: number;
  tprAt5Fooled: number | null;
  fprTest: number;
  clean: number;
  noisy: number;
  fooled: number;
  robustAccuracy: number;
  /**
   * Share of test images the attack fools without the detector flagging them (at the 5%
   * threshold): what the detector leaves to the attacker. 1 − evaded is the accuracy of
   * "classifier + detector" (an image counts as defended if it is classified right or flagged).
   */
  evaded: number;
  roc: RocPoint[];
}

/** Keeps at most `max` points of a ROC curve (both ends, evenly spaced between). */
const thin = (c: RocPoint[], max = 200): RocPoint[] =>
  c.length <= max ? c : Array.from({ length: max }, (_, i) => c[Math.round((i * (c.length - 1)) / (max - 1))]);

/**
 * Detection quality of each score for each attack: thresholds chosen on clean validation
 * images (5% flagged), applied to the test images and their noisy versions.
 */
export async function detectionRows(
  model: FrozenClassifier,
  validation: Dataset,
  test: Dataset,
  attacks: DetectAttack[],
  scores: DetectScore[],
  classes = outputClasses(model, test.pixels),
): Promise<DetectRow[]> {
  const valOut = await modelOutputs(model, validation.images, validation.pixels, classes);
  const cleanOut = await modelOutputs(model, test.images, test.pixels, classes);
  const cleanPred = argmaxRows(cleanOut, classes);
  const rows: DetectRow[] = [];
  // Per score and group: images some attack of the group fooled without being flagged.
  const evadedBy = new Map<string, Uint8Array>();
  for (const a of attacks) {
    const noisyOut = await modelOutputs(model, a.images, test.pixels, classes);
    const pred = argmaxRows(noisyOut, classes);
    // Fooled: right on the clean image, wrong on its noisy version.
    const fooled = Array.from(pred, (p, i) => cleanPred[i] === test.labels[i] && p !== test.labels[i]);
    const nFooled = fooled.filter(Boolean).length;
    const right = Array.from(pred, (p, i) => (p === test.labels[i] ? 1 : 0)).reduce((s: number, v) => s + v, 0);
    for (const score of scores) {
      const val = detectScores(score, valOut, classes),
        clean = detectScores(score, cleanOut, classes),
        noisy = detectScores(score, noisyOut, classes);
      const noisyFooled = noisy.filter((_, i) => fooled[i]);
      const threshold = thresholdAtFpr(val, 0.05);
      const key = `${score}|${a.group}`;
      const ev = evadedBy.get(key) ?? new Uint8Array(test.count);
      let evaded = 0;
      for (let i = 0; i < test.count; i++)
        if (pred[i] !== test.labels[i] && noisy[i] < threshold) {
          ev[i] = 1;
          evaded++;
        }
      evadedBy.set(key, ev);
      rows.push({
        evaded: evaded / test.count,
        score,
        attack: a.name,
        auc: rocAuc(clean, noisy),
        aucFooled: nFooled ? rocAuc(clean, noisyFooled) : null,
        threshold,
        tprAt5: flaggedRate(noisy, threshold),
        tprAt5Fooled: nFooled ? flaggedRate(noisyFooled, threshold) : null,
        fprTest: flaggedRate(clean, threshold),
        clean: test.count,
        noisy: test.count,
        fooled: nFooled,
        robustAccuracy: right / test.count,
        roc: thin(rocCurve(clean, noisy)),
      });
    }
  }
  // The worst case per group of several attacks: an image is lost if any of them got it past the detector.
  const groups = [...new Set(attacks.map((a) => a.group))].filter(
    (g) => attacks.filter((a) => a.group === g).length > 1,
  );
  for (const group of groups)
    for (const score of scores) {
      const ev = evadedBy.get(`${score}|${group}`)!;
      const of = rows.filter((r) => r.score === score && attacks.find((a) => a.name === r.attack)?.group === group);
      rows.push({
        score,
        attack: `worst of ${group} (${of.length} attacks)`,
        auc: NaN,
        aucFooled: null,
        threshold: of[0].threshold,
        tprAt5: NaN,
        tprAt5Fooled: null,
        fprTest: of[0].fprTest,
        clean: test.count,
        noisy: test.count,
        fooled: NaN,
        robustAccuracy: Math.min(...of.map((r) => r.robustAccuracy)),
        evaded: ev.reduce((s: number, v) => s + v, 0) / test.count,
        roc: [],
      });
    }
  return rows;
}
