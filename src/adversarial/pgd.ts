import { Tensor, backward, tidy } from '../tensor/tensor';
import { add, clamp01, clampAbs, scale, sign } from '../ops/elementwise';
import { argmax } from '../ops/argmax';
import { softmaxCrossEntropy } from '../ops/composite';
import { runner } from '../gpu/runner';
import { ConfigError } from '../gpu/errors';
import { oneHot, type Dataset } from '../data/dataset';
import { seededRandom } from '../nn/random';
import type { FrozenClassifier } from './noise';

/** Per-image L∞ attacks through input gradients: FGSM is PGD with one step of size ε and no random start. */
export interface PgdSettings {
  epsilon: number;
  steps: number;
  stepSize: number;
  randomStart: boolean;
  /** null: untargeted (raise the loss of the true class); else push every image towards this class. */
  target: number | null;
  seed: number;
}

export const fgsm = (epsilon: number, target: number | null = null): PgdSettings => ({ epsilon, steps: 1, stepSize: epsilon, randomStart: false, target, seed: 0 });

/**
 * Robust accuracy (and, when targeted, the share classified as the target) of the model on
 * `data` under the attack. Batched on the GPU; predictions are copied into one buffer and read
 * once at the end.
 */
export async function pgdAttack(model: FrozenClassifier, data: Dataset, s: PgdSettings, batch = 500): Promise<{ accuracy: number; targetRate: number | null }> {
  if (!(s.epsilon >= 0 && s.epsilon <= 1)) throw new ConfigError(`pgd: epsilon ${s.epsilon} must be in [0, 1]`);
  if (!Number.isInteger(s.steps) || s.steps < 1) throw new ConfigError(`pgd: steps ${s.steps} must be a positive integer`);
  if (s.target !== null && (!Number.isInteger(s.target) || s.target < 0 || s.target > 9)) throw new ConfigError(`pgd: target ${s.target} is not a digit 0–9`);
  const frozen = model.params.map((p) => p.tensor.requiresGrad);
  model.params.forEach((p) => (p.tensor.requiresGrad = false));
  const preds = Tensor.empty([data.count], 'pgd predictions');
  const random = seededRandom(s.seed);
  try {
    for (let start = 0; start < data.count; start += batch) {
      const n = Math.min(batch, data.count - start);
      const x0 = data.images.subarray(start * data.pixels, (start + n) * data.pixels);
      const labels = data.labels.subarray(start, start + n);
      const goal = oneHot(s.target === null ? labels : new Array(n).fill(s.target));
      // Untargeted: ascend the true-class loss; targeted: descend the target-class loss.
      const direction = s.target === null ? 1 : -1;
      const init = s.randomStart ? Float32Array.from(x0, () => (2 * random() - 1) * s.epsilon) : new Float32Array(x0.length);
      tidy(() => {
        const x = Tensor.fromArray(x0, [n, data.pixels]);
        const y = Tensor.fromArray(goal, [n, 10]);
        let delta = Tensor.fromArray(init, [n, data.pixels]);
        for (let step = 0; step < s.steps; step++) {
          delta.requiresGrad = true;
          const loss = softmaxCrossEntropy(model.forward(clamp01(add(x, delta)), { train: false }), y);
          backward(loss);
          const stepped = add(delta, scale(sign(delta.grad!), direction * s.stepSize));
          delta = clampAbs(stepped, s.epsilon);
        }
        const p = argmax(model.forward(clamp01(add(x, delta)), { train: false }));
        runner.copy(p.buffer, preds.buffer, n * 4, 0, start * 4);
      });
    }
    const out = await preds.read();
    let right = 0, hit = 0;
    for (let i = 0; i < data.count; i++) { if (out[i] === data.labels[i]) right++; if (out[i] === s.target) hit++; }
    return { accuracy: right / data.count, targetRate: s.target === null ? null : hit / data.count };
  } finally {
    model.params.forEach((p, i) => (p.tensor.requiresGrad = frozen[i]));
    preds.dispose();
  }
}
