import { ConfigError } from '../util/errors.js';
import { cnnLayers, fcLayers, type ConvSpec, type LayerSpec } from './layer-spec.js';
import type { ModuleJson } from './modules.js';
import { deepFreeze } from '../util/freeze.js';

export type LossName = 'quadratic' | 'softmax-ce';
export interface LrStep {
  after: number;
  lr: number;
}

/** Everything a training run depends on: architecture, loss, optimiser, seed, budget. */
export interface TrainConfig {
  arch: 'fc' | 'cnn';
  /** Hidden linear layer widths; the input (image or flattened conv maps) and one output per class are implied. */
  hidden: number[];
  /** CNN only: same-padded stride-1 conv layers on the image, before the linear layers. */
  conv?: ConvSpec[];
  /** One image as [channels, height, width], from the training data (absent in older runs: MNIST's). */
  input?: number[];
  /** Outputs, one per class, from the training labels (absent in older runs: MNIST's 10). */
  classes?: number;
  loss: LossName;
  /** Dropout on hidden linear layers: the drop probability, PyTorch's p (0.3 zeroes 30%). */
  dropout: number;
  l2: number;
  lr: number;
  /** Step decay: after iteration `after`, Adam uses `lr` (ascending `after`; none: constant lr). */
  lrSchedule?: LrStep[];
  beta1: number;
  beta2: number;
  eps: number;
  batch: number;
  iterations: number;
  seed: number;
  /** Test accuracy every this many iterations (0: only at the end). */
  evalEvery: number;
  /** An nn model (Sequential layers from JSON) instead of arch/hidden/conv; absent: the study's FC or CNN. */
  model?: { input: number[]; layers: ModuleJson[] };
  /** Adversarial training: each step on adversarial versions of its batch (absent: natural training). */
  adversarial?: AdversarialSpec;
}

export const DEFAULT_CONFIG: TrainConfig = deepFreeze({
  arch: 'fc',
  hidden: [1500, 1000, 800],
  loss: 'quadratic',
  dropout: 0.3,
  l2: 1e-4,
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  batch: 250,
  iterations: 2000,
  seed: 1,
  evalEvery: 500,
});

/** The study's CNN: 7×7×12, 5×5×15, 3×3×25, 3×3×20, no pooling, then FC 1500, 500, 10. */
export const STUDY_CONV: ConvSpec[] = deepFreeze([
  { channels: 12, kernel: 7 },
  { channels: 15, kernel: 5 },
  { channels: 25, kernel: 3 },
  { channels: 20, kernel: 3 },
]);
export const CNN_DEFAULTS: Partial<TrainConfig> = deepFreeze({ arch: 'cnn', conv: STUDY_CONV, hidden: [1500, 500] });

/** What configs saved before the input shape and classes were recorded mean: every one was trained on MNIST. */
export const LEGACY_INPUT: readonly number[] = deepFreeze([1, 28, 28]);
export const LEGACY_CLASSES = 10;
export const inputOf = (c: TrainConfig): readonly number[] => c.input ?? LEGACY_INPUT;
export const classesOf = (c: TrainConfig): number => c.classes ?? LEGACY_CLASSES;

export function layersOf(c: TrainConfig): LayerSpec[] {
  const input = inputOf(c),
    classes = classesOf(c);
  return c.arch === 'cnn'
    ? cnnLayers(c.conv ?? STUDY_CONV, c.hidden, input, classes)
    : fcLayers([input.reduce((a, b) => a * b, 1), ...c.hidden, classes]);
}

/** The config with the input shape and classes of this data (what a fresh run records). */
export const withDataShape = (c: TrainConfig, shape: readonly number[], classes: number): TrainConfig => ({
  ...c,
  input: [...shape],
  classes,
});

/** The learning rate of iteration `it` (1-based): the last schedule step with after < it, else lr. */
export function learningRateAt(c: TrainConfig, it: number): number {
  return rateAt(c.lr, c.lrSchedule ?? [], it);
}

/** Step decay: the `lr` of the last step with after < it (iteration `it`, 1-based), else `base`. */
export function rateAt(base: number, steps: readonly LrStep[], it: number): number {
  let lr = base;
  for (const s of steps) if (it > s.after) lr = s.lr;
  return lr;
}

/**
 * A config as saved by an earlier version, in today's terms: `keep` (TensorFlow 1's keep
 * probability, before 2026-12-02) becomes `dropout`, PyTorch's drop probability, as the short
 * decimal that gives the kernel the same keep probability (0.7 → 0.3), so a migrated run draws
 * the same masks. A config that has both is refused.
 */
export function migrateConfig<T extends object>(saved: T, where = 'config'): T {
  if (!saved || typeof saved !== 'object' || !('keep' in saved)) return saved;
  const { keep, ...rest } = saved as T & { keep: unknown };
  if ('dropout' in rest) throw new ConfigError(`${where}: has both keep (${keep}) and dropout; keep the one`);
  if (typeof keep !== 'number' || !(keep > 0 && keep <= 1))
    throw new ConfigError(`${where}: keep = ${JSON.stringify(keep)}: must be a keep probability in (0, 1]`);
  return { ...rest, dropout: dropOf(keep) } as T;
}

/**
 * The drop probability of a keep probability: a short decimal where that gives the kernel the
 * same f32 keep probability, else the exact 1 − keep.
 */
export function dropOf(keep: number): number {
  const short = Math.round((1 - keep) * 1e6) / 1e6;
  return Math.fround(1 - short) === Math.fround(keep) ? short : 1 - keep;
}

/** Every key a training config may have. */
const CONFIG_KEYS = new Set([
  'adversarial',
  'arch',
  'hidden',
  'conv',
  'input',
  'classes',
  'loss',
  'dropout',
  'l2',
  'lr',
  'lrSchedule',
  'beta1',
  'beta2',
  'eps',
  'batch',
  'iterations',
  'seed',
  'evalEvery',
  'model',
]);

export function validateConfig(c: TrainConfig): TrainConfig {
  const bad = (what: string, v: unknown, want: string): never => {
    throw new ConfigError(`config: ${what} = ${JSON.stringify(v)}: ${want}`);
  };
  const unknown = Object.keys(c).filter((k) => !CONFIG_KEYS.has(k) && k !== 'keep');
  if (unknown.length)
    throw new ConfigError(
      `config: unknown key ${unknown.map((k) => `"${k}"`).join(', ')} (a config has ${[...CONFIG_KEYS].join(', ')})`,
    );
  if (c.arch !== 'fc' && c.arch !== 'cnn') bad('arch', c.arch, 'must be "fc" or "cnn"');
  if (
    c.arch === 'cnn' &&
    c.conv !== undefined &&
    !(
      Array.isArray(c.conv) &&
      c.conv.length > 0 &&
      c.conv.every(
        (l) => Number.isInteger(l?.channels) && l.channels > 0 && Number.isInteger(l.kernel) && l.kernel % 2 === 1,
      )
    )
  )
    bad('conv', c.conv, 'must be conv layers {channels > 0, odd kernel} (same padding needs odd kernels)');
  if (
    c.input !== undefined &&
    !(Array.isArray(c.input) && c.input.length === 3 && c.input.every((d) => Number.isInteger(d) && d > 0))
  )
    bad('input', c.input, 'must be one image as [channels, height, width]');
  if (c.classes !== undefined && !(Number.isInteger(c.classes) && c.classes >= 2))
    bad('classes', c.classes, 'must be a whole number ≥ 2');
  if (c.arch === 'cnn' && (c.conv ?? STUDY_CONV).some((l) => l.kernel > Math.min(...inputOf(c).slice(1)) * 2 - 1))
    bad('conv', c.conv, `a kernel is wider than the ${inputOf(c).slice(1).join('x')} image allows with same padding`);
  if (!Array.isArray(c.hidden) || !c.hidden.every((h) => Number.isInteger(h) && h > 0))
    bad('hidden', c.hidden, 'must be positive integer layer widths');
  if (c.loss !== 'quadratic' && c.loss !== 'softmax-ce') bad('loss', c.loss, 'must be "quadratic" or "softmax-ce"');
  if ('keep' in c)
    bad(
      'keep',
      (c as { keep?: unknown }).keep,
      'is the old keep probability: give dropout = 1 − keep (migrateConfig converts saved configs)',
    );
  if (!(c.dropout >= 0 && c.dropout < 1)) bad('dropout', c.dropout, 'must be in [0, 1) (the drop probability)');
  if (!(c.l2 >= 0)) bad('l2', c.l2, 'must be ≥ 0');
  if (!(c.lr > 0)) bad('lr', c.lr, 'must be > 0');
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1))
    bad('beta1/beta2', [c.beta1, c.beta2], 'must be in [0, 1)');
  if (
    c.lrSchedule !== undefined &&
    !(
      Array.isArray(c.lrSchedule) &&
      c.lrSchedule.every(
        (s, i, all) =>
          Number.isInteger(s?.after) && s.after >= 0 && s.lr > 0 && (i === 0 || s.after > all[i - 1].after),
      )
    )
  )
    bad('lrSchedule', c.lrSchedule, 'must be steps {after: iteration ≥ 0, lr > 0} in ascending iteration order');
  if (!(c.eps > 0)) bad('eps', c.eps, 'must be > 0');
  if (!Number.isInteger(c.batch) || c.batch < 1) bad('batch', c.batch, 'must be a positive integer');
  if (!Number.isInteger(c.iterations) || c.iterations < 0)
    bad('iterations', c.iterations, 'must be a non-negative integer');
  if (!Number.isInteger(c.seed) || c.seed < 0) bad('seed', c.seed, 'must be a non-negative integer');
  if (!Number.isInteger(c.evalEvery) || c.evalEvery < 0)
    bad('evalEvery', c.evalEvery, 'must be a non-negative integer');
  if (c.adversarial !== undefined) validateAdversarial(c.adversarial);
  return c;
}

/** Adversarial training's settings (run by adversarial/training.ts): the attack, its ε, steps and step size. */
export interface AdversarialSpec {
  kind: 'fgsm-rs' | 'pgd';
  epsilon: number;
  steps: number;
  stepSize: number;
}

/** PGD steps per adversarial batch at most (each is a forward and a backward pass). */
export const MAX_ADVERSARIAL_STEPS = 1000;

export function validateAdversarial(a: AdversarialSpec): void {
  const ok =
    (a?.kind === 'fgsm-rs' || a?.kind === 'pgd') &&
    a.epsilon > 0 &&
    a.epsilon <= 1 &&
    Math.fround(a.epsilon) > 0 &&
    Number.isInteger(a.steps) &&
    a.steps >= 1 &&
    a.steps <= MAX_ADVERSARIAL_STEPS &&
    a.stepSize > 0;
  if (!ok)
    throw new ConfigError(
      `config: adversarial = ${JSON.stringify(a)}: must be {kind: "fgsm-rs" | "pgd", epsilon in (0, 1] and above 0 in float32, steps 1–${MAX_ADVERSARIAL_STEPS}, stepSize > 0}`,
    );
}
