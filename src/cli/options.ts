import { InvalidArgumentError } from '@commander-js/extra-typings';
import { ConfigError } from '../util/errors.js';
import { MAX_ADVERSARIAL_STEPS, type AdversarialSpec } from '../nn/config.js';

/** commander parsers that reject bad values with the flag's name and the value. */
export const parseNumber =
  (min: number, max = Infinity) =>
  (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < min || x > max)
      throw new InvalidArgumentError(`"${v}" is not a number in [${min}, ${max}]`);
    return x;
  };
export const parseInteger =
  (min: number, max = Infinity) =>
  (v: string): number => {
    const x = parseNumber(min, max)(v);
    if (!Number.isInteger(x)) throw new InvalidArgumentError(`"${v}" is not an integer`);
    return x;
  };
export const parseIntList = (v: string): number[] => {
  const xs = v.split(',').map((s) => Number(s));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1))
    throw new InvalidArgumentError(`"${v}" is not a comma-separated list of positive integers`);
  return xs;
};
export const parseChoice =
  <T extends string>(choices: readonly T[]) =>
  (v: string): T => {
    if (!(choices as readonly string[]).includes(v))
      throw new InvalidArgumentError(`"${v}" is not one of ${choices.join(', ')}`);
    return v as T;
  };
/** "4200:1e-4,5400:1e-5" → after iteration 4200 use lr 1e-4, after 5400 use 1e-5. */
export const parseLrSchedule = (v: string): { after: number; lr: number }[] => {
  const steps = v.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*([^\s]+)\s*$/.exec(part);
    const lr = m ? Number(m[2]) : NaN;
    if (!m || !(lr > 0) || !Number.isFinite(lr))
      throw new InvalidArgumentError(`"${part}" in "${v}" is not ITERATION:LR with LR > 0 (e.g. 4200:1e-4)`);
    return { after: Number(m[1]), lr };
  });
  steps.forEach((s, i) => {
    if (i > 0 && s.after <= steps[i - 1].after) throw new InvalidArgumentError(`"${v}": iterations must ascend`);
  });
  return steps;
};
/** A comma-separated list; with `choices`, every item must be one of them. */
export const parseList =
  <T extends string = string>(choices?: readonly T[]) =>
  (v: string): T[] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!items.length) throw new InvalidArgumentError(`"${v}" is an empty list`);
    const bad = choices && items.find((s) => !(choices as readonly string[]).includes(s));
    if (bad) throw new InvalidArgumentError(`"${bad}" is not one of ${choices!.join(', ')}`);
    return items as T[];
  };
/** --adversarial fgsm-rs:ε | pgd:ε,steps (train, imp, prune --method hydra); commander names the flag. */
export const parseAdversarialOption = (v: string): AdversarialSpec => {
  try {
    return parseAdversarial(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--adversarial \S+: /, ''));
  }
};

/** "fgsm-rs:0.1" or "pgd:0.1,7" (ε, steps). */
export function parseAdversarial(v: string): AdversarialSpec {
  const m = /^(fgsm-rs|pgd):([\d.eE+-]+)(?:,(\d+))?$/.exec(v.trim());
  const epsilon = m ? Number(m[2]) : NaN;
  if (
    !m ||
    !(epsilon > 0 && epsilon <= 1) ||
    (m[1] === 'fgsm-rs' && m[3] !== undefined) ||
    !(Math.fround(epsilon) > 0) ||
    (m[1] === 'pgd' && !(Number(m[3]) >= 1 && Number(m[3]) <= MAX_ADVERSARIAL_STEPS))
  )
    throw new ConfigError(
      `--adversarial ${v}: use fgsm-rs:ε or pgd:ε,steps with 0 < ε ≤ 1 (above 0 in float32) and 1 ≤ steps ≤ ${MAX_ADVERSARIAL_STEPS} (e.g. fgsm-rs:0.1, pgd:0.1,7)`,
    );
  return m[1] === 'fgsm-rs'
    ? { kind: 'fgsm-rs', epsilon, steps: 1, stepSize: 1.25 * epsilon }
    : { kind: 'pgd', epsilon, steps: Number(m[3]), stepSize: (2.5 * epsilon) / Number(m[3]) };
}
