import { type Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { CNN_DEFAULTS, DEFAULT_CONFIG, dropOf, type TrainConfig } from '../nn/config.js';
import type { ConvSpec } from '../nn/layer-spec.js';
import { deepFreeze } from '../util/freeze.js';
import { ConfigError } from '../util/errors.js';
import { dataOption } from './shared-options.js';
import {
  parseAdversarialOption,
  parseChoice,
  parseInteger,
  parseIntList,
  parseLrSchedule,
  parseNumber,
} from './options.js';

// The options that say how a model trains, shared by `train` and `imp`: one definition each,
// their defaults in the help, and the values each --preset sets.

/** Named budgets per architecture: `quick` for a first look on a CPU, `paper` for the study's settings. */
export const PRESETS: Record<string, Partial<TrainConfig>> = deepFreeze({
  default: { iterations: 400, evalEvery: 100 },
  quick: { hidden: [256, 128], iterations: 300, evalEvery: 100 },
  paper: { iterations: 10000, evalEvery: 1000 },
});
/** The study's CNN always; small batches so that a CPU sees many updates per minute. */
export const CNN_PRESETS: Record<string, Partial<TrainConfig>> = deepFreeze({
  default: { batch: 50, iterations: 300, evalEvery: 100 },
  quick: { batch: 50, iterations: 160, evalEvery: 80 },
  paper: { iterations: 10000, evalEvery: 1000 },
});

/** "12x7,15x5" → conv layers of 12 7×7 filters, then 15 5×5 filters. */
export const parseConv = (v: string): ConvSpec[] =>
  v.split(',').map((part) => {
    const m = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) % 2 !== 1)
      throw new InvalidArgumentError(`"${part}" in "${v}" is not CHANNELSxKERNEL with an odd kernel (e.g. 12x7)`);
    return { channels: Number(m[1]), kernel: Number(m[2]) };
  });

const convText = (c: readonly ConvSpec[]) => c.map((l) => `${l.channels}x${l.kernel}`).join(',');

/** "hidden 256,128, 300 iterations, eval every 100": what a preset sets. */
const presetText = (p: Partial<TrainConfig>): string =>
  [
    p.hidden && `hidden ${p.hidden.join(',')}`,
    p.batch !== undefined && `batch ${p.batch}`,
    p.iterations !== undefined && `${p.iterations} iterations`,
    p.evalEvery !== undefined && `eval every ${p.evalEvery}`,
  ]
    .filter(Boolean)
    .join(', ');

/** "default 400, quick 300, paper 10000; cnn: default 300, …": a preset-governed setting, per preset. */
function byPreset(key: keyof TrainConfig, show: (v: never) => string = String): string {
  const fc = DEFAULT_CONFIG[key],
    cnn = (CNN_DEFAULTS as Partial<TrainConfig>)[key] ?? fc;
  const list = (presets: Record<string, Partial<TrainConfig>>, base: unknown) =>
    Object.entries(presets)
      .map(([name, p]) => `${name} ${show((p[key] ?? base) as never)}`)
      .join(', ');
  return `by --preset: fc ${list(PRESETS, fc)}; cnn ${list(CNN_PRESETS, cnn)}`;
}

const withDefault = (description: string, value: string) => `${description} (default: ${value})`;

/** Adds the training options to a command (train, imp). */
export function addTrainingOptions<Args extends unknown[], Opts extends OptionValues, Global extends OptionValues>(
  cmd: Command<Args, Opts, Global>,
) {
  const presetHelp = `training budget. ${Object.keys(PRESETS)
    .map((name) => `${name}: fc ${presetText(PRESETS[name])} (cnn: ${presetText(CNN_PRESETS[name])})`)
    .join('. ')}`;
  return cmd
    .addOption(
      new Option(
        '--arch <arch>',
        "fc (pixels-hidden-classes) or cnn (the study's 7-layer CNN: conv layers, then hidden, then one output per class); the image shape and classes come from the data",
      )
        .choices(['fc', 'cnn'])
        .default('fc'),
    )
    .option(
      '--conv <layers>',
      withDefault('cnn: conv layers as CHANNELSxKERNEL', convText(CNN_DEFAULTS.conv ?? [])),
      parseConv,
    )
    .addOption(dataOption())
    .addOption(new Option('--preset <name>', presetHelp).choices(Object.keys(PRESETS)).default('default'))
    .option(
      '--hidden <sizes>',
      withDefault(
        'hidden layer widths',
        byPreset('hidden', (h: number[]) => h.join(',')),
      ),
      parseIntList,
    )
    .option(
      '--loss <loss>',
      withDefault('quadratic (linear-quadratic, no softmax) or softmax-ce', DEFAULT_CONFIG.loss),
      parseChoice(['quadratic', 'softmax-ce'] as const),
    )
    .option(
      '--dropout <p>',
      withDefault("dropout on hidden layers: the drop probability, PyTorch's p", String(DEFAULT_CONFIG.dropout)),
      parseNumber(0, 0.999999),
    )
    .addOption(
      new Option('--keep <p>', 'replaced by --dropout').hideHelp().argParser((v) => {
        throw new InvalidArgumentError(
          `--keep (a keep probability) is now --dropout <p>, the drop probability: use --dropout ${dropOf(Number(v))}`,
        );
      }),
    )
    .option('--l2 <lambda>', withDefault('L2 weight penalty λ (λ·½Σw²)', String(DEFAULT_CONFIG.l2)), parseNumber(0))
    .option('--lr <rate>', withDefault('Adam learning rate', String(DEFAULT_CONFIG.lr)), parseNumber(1e-12))
    .option(
      '--lr-schedule <steps>',
      'step decay as ITERATION:LR,… (after iteration ITERATION use LR; e.g. 4200:1e-4); a resumed run may add steps after its checkpoint (default: none)',
      parseLrSchedule,
    )
    .option('--batch <n>', withDefault('mini-batch size', byPreset('batch')), parseInteger(1))
    .option(
      '--iterations <n>',
      withDefault('training iterations (at least 1)', byPreset('iterations')),
      parseInteger(1),
    )
    .option(
      '--seed <n>',
      withDefault('seed for init, batch order and dropout', String(DEFAULT_CONFIG.seed)),
      parseInteger(0),
    )
    .option(
      '--adversarial <spec>',
      'adversarial training: fgsm-rs:ε (fast FGSM with a random start, Wong et al. 2020) or pgd:ε,steps (Madry et al. 2018); test accuracy and PGD-10 accuracy on 200 held-out test images at each evaluation, catastrophic overfitting flagged (default: none)',
      parseAdversarialOption,
    )
    .option(
      '--eval-every <n>',
      withDefault('test accuracy (and a checkpoint) every n iterations (0: at the end)', byPreset('evalEvery')),
      parseInteger(0),
    );
}

/** What the training options parse to. */
export type TrainingOptions = ReturnType<
  ReturnType<typeof addTrainingOptions<[], Record<never, never>, Record<never, never>>>['opts']
>;

/** The training config these options give: defaults, then the preset, then each option given. */
export function trainingConfig(o: TrainingOptions): TrainConfig {
  if (o.conv && o.arch !== 'cnn') throw new ConfigError('--conv needs --arch cnn');
  const preset = o.arch === 'cnn' ? { ...CNN_DEFAULTS, ...CNN_PRESETS[o.preset] } : PRESETS[o.preset];
  // Each option given overrides the preset; one not given leaves it.
  const given: Partial<TrainConfig> = {
    hidden: o.hidden,
    conv: o.conv,
    loss: o.loss,
    dropout: o.dropout,
    l2: o.l2,
    lr: o.lr,
    lrSchedule: o.lrSchedule,
    batch: o.batch,
    iterations: o.iterations,
    seed: o.seed,
    evalEvery: o.evalEvery,
    adversarial: o.adversarial,
  };
  return {
    ...DEFAULT_CONFIG,
    ...preset,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
  };
}
