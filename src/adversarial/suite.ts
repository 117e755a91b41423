import type { Dataset } from '../data/dataset.js';
import { attackName, fgsm, pgd, type AttackLoss, type PgdSettings } from './pgd.js';
import { PGD } from './attack.js';
import type { FrozenClassifier } from './frozen.js';
import { deepFreeze } from '../util/freeze.js';

/** A robustness evaluation by per-image attacks: FGSM and/or PGD with each loss, at each ε. */
export interface AttackSuite {
  epsilons: number[];
  fgsm: boolean;
  /** PGD steps (0: no PGD). */
  steps: number;
  restarts: number;
  losses: AttackLoss[];
  /** Step size as a multiple of ε/steps (Madry et al.: 2.5). */
  stepFactor: number;
  target: number | null;
  seed: number;
}

export const DEFAULT_SUITE: AttackSuite = deepFreeze({
  epsilons: [0.1],
  fgsm: false,
  steps: 100,
  restarts: 1,
  losses: ['ce', 'margin'],
  stepFactor: 2.5,
  target: null,
  seed: 1,
});

export interface AttackRow {
  /** fgsm-ce, pgd-ce, pgd-margin (…-tK when targeted), or worst: per image, broken by any attack at this ε. */
  attack: string;
  epsilon: number;
  steps: number | null;
  restarts: number | null;
  stepSize: number | null;
  accuracy: number;
  targetRate: number | null;
  seconds: number;
  /** Attacked image-steps per second (forward + input gradient each). */
  imageStepsPerSecond: number | null;
}

export function suiteAttacks(s: AttackSuite, epsilon: number): PgdSettings[] {
  const out: PgdSettings[] = [];
  if (s.fgsm) out.push(fgsm(epsilon, s.target));
  if (s.steps > 0)
    for (const loss of s.losses)
      out.push(
        pgd(epsilon, s.steps, {
          loss,
          restarts: s.restarts,
          stepSize: (s.stepFactor * epsilon) / s.steps,
          target: s.target,
          seed: s.seed,
        }),
      );
  return out;
}

/**
 * Every attack at every ε, then per ε the worst case: an image counts as robust only if no
 * attack broke it. `onRow` sees each row as it is measured (progress, files).
 */
export async function runAttackSuite(
  model: FrozenClassifier,
  data: Dataset,
  s: AttackSuite,
  onRow?: (row: AttackRow) => void,
  /** Images attacked so far by the attack running now (for a progress bar). */
  progress?: (attack: string, done: number, total: number) => void,
): Promise<AttackRow[]> {
  const rows: AttackRow[] = [];
  const push = (r: AttackRow) => {
    rows.push(r);
    onRow?.(r);
  };
  for (const epsilon of s.epsilons) {
    const attacks = suiteAttacks(s, epsilon);
    const broken = new Uint8Array(data.count);
    const worstPred = new Uint8Array(data.labels);
    let seconds = 0;
    for (const a of attacks) {
      const t0 = performance.now();
      const name = `${attackName(a)} ε=${epsilon}`;
      const r = await new PGD(a).run(model, data, (done, total) => progress?.(name, done, total));
      const dt = (performance.now() - t0) / 1000;
      seconds += dt;
      for (let i = 0; i < data.count; i++)
        if (!broken[i] && r.predictions[i] !== data.labels[i]) {
          broken[i] = 1;
          worstPred[i] = r.predictions[i];
        }
      push({
        attack: attackName(a),
        epsilon,
        steps: a.steps,
        restarts: a.restarts,
        stepSize: a.stepSize,
        accuracy: r.accuracy,
        targetRate: r.targetRate,
        seconds: dt,
        imageStepsPerSecond: r.imageSteps / dt,
      });
    }
    if (attacks.length > 1) {
      let right = 0,
        hit = 0;
      for (let i = 0; i < data.count; i++) {
        if (!broken[i]) right++;
        if (s.target !== null && worstPred[i] === s.target) hit++;
      }
      push({
        attack: 'worst',
        epsilon,
        steps: null,
        restarts: null,
        stepSize: null,
        accuracy: right / data.count,
        targetRate: s.target === null ? null : hit / data.count,
        seconds,
        imageStepsPerSecond: null,
      });
    }
  }
  return rows;
}
