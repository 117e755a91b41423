import { Tensor, backward, tidy } from '../tensor/tensor.js';
import { add, clamp01, clampAbs, scale, sign, sub } from '../ops/elementwise.js';
import { argmax } from '../ops/argmax.js';
import { detectorPenalty, marginLoss, softmaxCrossEntropy, type DetectorScore } from '../ops/composite.js';
import { ConfigError } from '../util/errors.js';
import { oneHot, type Dataset } from '../data/dataset.js';
import { seededRandom } from '../nn/random.js';
import { outputClasses, withFrozen, type FrozenClassifier } from './frozen.js';
import type { Classifier } from '../nn/evaluate.js';
import { deepFreeze } from '../util/freeze.js';

export const ATTACK_LOSSES = deepFreeze(['ce', 'margin'] as const);
/** ce: softmax cross-entropy; margin: Carlini–Wagner max_{j≠y} z_j − z_y on the raw outputs. */
export type AttackLoss = (typeof ATTACK_LOSSES)[number];

/**
 * A per-image L∞ attack (Madry et al.'s PGD). Each step takes the gradient of the loss at the
 * adversarial image x' itself, moves x' by stepSize·sign(gradient), then projects it onto
 * [0, 1] ∩ {|x' − x| ≤ ε}. FGSM is one step of size ε from x.
 */
export interface PgdSettings {
  epsilon: number;
  steps: number;
  stepSize: number;
  /** Start from clip(x + U(−ε, ε), 0, 1) instead of x. */
  randomStart: boolean;
  /** Independent runs; an image counts as broken if any run breaks it. */
  restarts: number;
  loss: AttackLoss;
  /** null: untargeted (any wrong class); else push every image towards this class. */
  target: number | null;
  seed: number;
  /**
   * A detector-aware attacker (absent: none): it also minimises `weight` × the detector's score
   * surrogate (detectorPenalty), keeping its outputs in the clean range while it fools.
   * `toward`: the class whose one-hot (or softmax) the penalty measures — 'top', the current top
   * class (the detector's own score, which resists fooling while the image is still right), or
   * 'wrong' (the default), the top wrong class, or the target of a targeted attack: outputs
   * pulled towards a confident wrong answer.
   */
  detector?: { score: DetectorScore; weight: number; toward?: DetectorToward };
}

export const DETECTOR_TOWARD = deepFreeze(['wrong', 'top'] as const);
export type DetectorToward = (typeof DETECTOR_TOWARD)[number];

export const fgsm = (epsilon: number, target: number | null = null, loss: AttackLoss = 'ce'): PgdSettings => ({
  epsilon,
  steps: 1,
  stepSize: epsilon,
  randomStart: false,
  restarts: 1,
  loss,
  target,
  seed: 0,
});

/** PGD as usually run: random start, step 2.5·ε/steps (Madry et al.), one restart unless asked. */
export const pgd = (epsilon: number, steps: number, o: Partial<PgdSettings> = {}): PgdSettings => ({
  epsilon,
  steps,
  stepSize: (2.5 * epsilon) / steps,
  randomStart: true,
  restarts: 1,
  loss: 'ce',
  target: null,
  seed: 1,
  ...o,
});

export function attackName(s: PgdSettings): string {
  const kind = s.steps === 1 && !s.randomStart && s.stepSize === s.epsilon ? 'fgsm' : 'pgd';
  return `${kind}-${s.loss}${s.target === null ? '' : `-t${s.target}`}${s.detector ? `-vs-${s.detector.score}-${s.detector.toward ?? 'wrong'}×${s.detector.weight}` : ''}`;
}

export function validatePgd(s: PgdSettings, classes: number): PgdSettings {
  if (!(s.epsilon >= 0 && s.epsilon <= 1)) throw new ConfigError(`pgd: epsilon ${s.epsilon} must be in [0, 1]`);
  if (!Number.isInteger(s.steps) || s.steps < 1)
    throw new ConfigError(`pgd: steps ${s.steps} must be a positive integer`);
  if (!Number.isInteger(s.restarts) || s.restarts < 1)
    throw new ConfigError(`pgd: restarts ${s.restarts} must be a positive integer`);
  if (!(s.stepSize > 0) && s.epsilon > 0) throw new ConfigError(`pgd: step size ${s.stepSize} must be > 0`);
  if (!ATTACK_LOSSES.includes(s.loss))
    throw new ConfigError(`pgd: loss "${s.loss}": use ${ATTACK_LOSSES.join(' or ')}`);
  if (s.target !== null && (!Number.isInteger(s.target) || s.target < 0 || s.target >= classes))
    throw new ConfigError(`pgd: target ${s.target} is not a class 0–${classes - 1}`);
  if (s.detector && !(s.detector.weight >= 0 && Number.isFinite(s.detector.weight)))
    throw new ConfigError(`pgd: detector weight ${s.detector.weight} must be ≥ 0`);
  if (s.detector && !['onehot', 'msp', 'max'].includes(s.detector.score))
    throw new ConfigError(`pgd: detector score "${s.detector.score}": use onehot, msp or max`);
  if (s.detector?.toward !== undefined && !DETECTOR_TOWARD.includes(s.detector.toward))
    throw new ConfigError(`pgd: detector toward "${s.detector.toward}": use ${DETECTOR_TOWARD.join(' or ')}`);
  return s;
}

/** Per-image outcome of an attack. */
export interface AttackResult {
  accuracy: number;
  /** Share classified as the target (targeted attacks), else null. */
  targetRate: number | null;
  /** Per image: the class predicted at the adversarial image kept (the first that succeeded, else the last). */
  predictions: Uint8Array;
  /** Per image: 1 where some iterate of some restart succeeded (misclassified, or hit the target). */
  succeeded: Uint8Array;
  /** Attacked image-steps (forward + input gradient each), for throughput. */
  imageSteps: number;
}

/** The uniform random start of restart `restart` for the batch beginning at image `first`: the same draws whichever images are still attacked. */
export function randomStart(
  x: Float32Array,
  epsilon: number,
  seed: number,
  restart: number,
  first: number,
): Float32Array {
  const random = seededRandom((seed * 1_000_003 + restart * 7919 + first) >>> 0);
  return Float32Array.from(x, (v) => Math.min(Math.max(v + (2 * random() - 1) * epsilon, 0), 1));
}

const lossOf = (loss: AttackLoss, logits: Tensor, y: Tensor): Tensor =>
  loss === 'ce' ? softmaxCrossEntropy(logits, y) : marginLoss(logits, y);

/**
 * What a step ascends (untargeted) or descends (targeted): the attack loss, and for a
 * detector-aware attacker the detector's penalty on the side that keeps outputs clean-looking
 * (reduced like the loss: CE is a batch mean, the margin a sum, so each image's weight holds).
 */
export function attackObjective(s: PgdSettings, logits: Tensor, y: Tensor): Tensor {
  const loss = lossOf(s.loss, logits, y);
  if (!s.detector || s.detector.weight === 0) return loss;
  // y: the true labels' one-hot rows (untargeted) or the target's (targeted).
  const classes = (s.detector.toward ?? 'wrong') === 'top' ? {} : s.target === null ? { avoid: y } : { toward: y };
  const penalty = scale(
    detectorPenalty(logits, s.detector.score, s.loss === 'ce' ? 'mean' : 'sum', classes),
    s.detector.weight,
  );
  return s.target === null ? sub(loss, penalty) : add(loss, penalty);
}

/**
 * The one L∞ step of every attack and of adversarial training, on the GPU from x': the logits
 * at x' (returned, to judge x'), the gradient of `objective` there, x' moved by
 * stepSize·sign(gradient) (a negative stepSize descends) and projected onto [0, 1] ∩ the
 * ε-ball around x. The model's parameters should be frozen (withFrozen).
 */
export function signedGradientStep(
  model: Classifier,
  x: Tensor,
  xAdv: Tensor,
  objective: (logits: Tensor) => Tensor,
  stepSize: number,
  epsilon: number,
): { next: Tensor; logits: Tensor } {
  const leaf = xAdv.detach(); // a leaf: the gradient stops here
  leaf.requiresGrad = true;
  const logits = model.forward(leaf, { train: false });
  backward(objective(logits));
  const g = leaf.grad!;
  leaf.requiresGrad = false;
  const moved = add(xAdv, scale(sign(g), stepSize));
  const next = clamp01(add(x, clampAbs(sub(moved, x), epsilon)));
  return { next, logits };
}

/** A PGD step of these settings: untargeted ascends the loss of the true class, targeted descends the target's. */
const pgdStep = (model: FrozenClassifier, x: Tensor, xAdv: Tensor, y: Tensor, s: PgdSettings) =>
  signedGradientStep(
    model,
    x,
    xAdv,
    (logits) => attackObjective(s, logits, y),
    (s.target === null ? 1 : -1) * s.stepSize,
    s.epsilon,
  );

/**
 * The adversarial images after `s.steps` steps of one run (no early stop, first restart's
 * start): what tests compare with a float64 reference attack.
 */
export async function pgdImages(
  model: FrozenClassifier,
  images: Float32Array,
  labels: ArrayLike<number>,
  s: PgdSettings,
  pixels: number,
  classes = outputClasses(model, pixels),
): Promise<Float32Array> {
  validatePgd(s, classes);
  const n = labels.length;
  return withFrozen(model, async () => {
    const x = Tensor.fromArray(images, [n, pixels], false, model.backend).keep();
    const y = Tensor.fromArray(
      oneHot(s.target === null ? labels : new Array(n).fill(s.target), classes),
      [n, classes],
      false,
      model.backend,
    ).keep();
    let xAdv = Tensor.fromArray(
      s.randomStart ? randomStart(images, s.epsilon, s.seed, 0, 0) : images,
      [n, pixels],
      false,
      model.backend,
    ).keep();
    try {
      for (let k = 0; k < s.steps; k++) {
        const next = tidy(() => pgdStep(model, x, xAdv, y, s).next.keep());
        xAdv.dispose();
        xAdv = next;
      }
      return await xAdv.read();
    } finally {
      [x, y, xAdv].forEach((t) => t.dispose());
    }
  });
}

/** Steps between looks at which images are broken (they then leave the batch). */
const CHECK_EVERY = 10;

/**
 * Robust accuracy of the model on `data` under the attack. Images are attacked in batches on
 * the GPU; every CHECK_EVERY steps the predictions of the iterates are read back, and images an
 * iterate has already broken leave the batch (each iterate lies in the threat model, so it is a
 * valid adversarial example). Restarts attack only the images no earlier run broke.
 */
export async function pgdAttack(
  model: FrozenClassifier,
  data: Dataset,
  s: PgdSettings,
  batch = 500,
  classes = outputClasses(model, data.pixels),
  /** Called after each batch of images with the images attacked so far (for a progress bar). */
  onImages?: (done: number, total: number) => void,
): Promise<AttackResult> {
  validatePgd(s, classes);
  const P = data.pixels;
  const predictions = new Uint8Array(data.count);
  const succeeded = new Uint8Array(data.count);
  let imageSteps = 0;
  const success = (pred: number, i: number) => (s.target === null ? pred !== data.labels[i] : pred === s.target);
  await withFrozen(model, async () => {
    for (let first = 0; first < data.count; first += batch) {
      const all = Array.from({ length: Math.min(batch, data.count - first) }, (_, k) => first + k);
      for (let restart = 0; restart < s.restarts; restart++) {
        let active = all.filter((i) => !succeeded[i]);
        if (!active.length) break;
        const x0 = gather(data.images, active, P);
        let xAdv = s.randomStart
          ? gather(
              randomStart(data.images.subarray(first * P, (first + all.length) * P), s.epsilon, s.seed, restart, first),
              active.map((i) => i - first),
              P,
            )
          : x0.slice();
        let x = x0;
        // Iterates 0..steps; iterate `steps` is only judged.
        for (let done = 0; done <= s.steps && active.length; ) {
          const chunk = Math.min(CHECK_EVERY, s.steps - done);
          const n = active.length;
          const { preds, next } = await runChunk(
            model,
            x,
            xAdv,
            active.map((i) => (s.target === null ? data.labels[i] : s.target!)),
            s,
            chunk,
            P,
            classes,
          );
          imageSteps += n * chunk;
          // Rows 0..chunk are the predictions at iterates done..done+chunk.
          const keep: number[] = [];
          for (let k = 0; k < n; k++) {
            const i = active[k];
            let hit = false;
            for (let row = 0; row <= chunk && !hit; row++) {
              const p = preds[row * n + k];
              if (success(p, i)) {
                succeeded[i] = 1;
                predictions[i] = p;
                hit = true;
              }
            }
            if (!hit) {
              predictions[i] = preds[chunk * n + k];
              keep.push(k);
            }
          }
          done += chunk;
          if (done === s.steps) break;
          active = keep.map((k) => active[k]);
          x = gather(x, keep, P);
          xAdv = gather(next, keep, P);
        }
      }
      onImages?.(Math.min(first + batch, data.count), data.count);
    }
  });
  let right = 0,
    hit = 0;
  for (let i = 0; i < data.count; i++) {
    if (predictions[i] === data.labels[i]) right++;
    if (predictions[i] === s.target) hit++;
  }
  return {
    accuracy: right / data.count,
    targetRate: s.target === null ? null : hit / data.count,
    predictions,
    succeeded,
    imageSteps,
  };
}

/**
 * `chunk` steps from xAdv on the GPU; returns the predictions at the chunk+1 iterates
 * ([chunk + 1, n], row k = iterate k) and the last iterate, read back once.
 */
async function runChunk(
  model: FrozenClassifier,
  images: Float32Array,
  start: Float32Array,
  goals: number[],
  s: PgdSettings,
  chunk: number,
  P: number,
  classes: number,
): Promise<{ preds: Float32Array; next: Float32Array }> {
  const n = goals.length;
  const be = model.backend;
  const x = Tensor.fromArray(images, [n, P], false, model.backend).keep();
  const y = Tensor.fromArray(oneHot(goals, classes), [n, classes], false, model.backend).keep();
  const history = Tensor.empty(be, [chunk + 1, n], 'pgd predictions').keep();
  let xAdv = Tensor.fromArray(start, [n, P], false, model.backend).keep();
  try {
    for (let k = 0; k < chunk; k++) {
      const next = tidy(() => {
        const step = pgdStep(model, x, xAdv, y, s);
        be.runner.copy(argmax(step.logits).buffer, history.buffer, n * 4, 0, k * n * 4);
        return step.next.keep();
      });
      xAdv.dispose();
      xAdv = next;
    }
    tidy(() =>
      be.runner.copy(argmax(model.forward(xAdv, { train: false })).buffer, history.buffer, n * 4, 0, chunk * n * 4),
    );
    const [preds, next] = [await history.read(), await xAdv.read()];
    return { preds, next };
  } finally {
    [x, y, history, xAdv].forEach((t) => t.dispose());
  }
}

/** Rows `rows` of a row-major [*, width] array. */
function gather(a: Float32Array, rows: number[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, k) => out.set(a.subarray(r * width, (r + 1) * width), k * width));
  return out;
}
