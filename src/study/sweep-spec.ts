import type { AdaptiveSpec } from '../adversarial/adaptive.js';
import type { UniversalRecipe } from '../adversarial/noise.js';
import type { AttackLoss } from '../adversarial/pgd.js';
import { DEFAULT_SUITE } from '../adversarial/suite.js';
import { CERTIFY_METHODS } from '../certify/certify.js';
import { pruneMethods } from '../prune/prune.js';
import { ConfigError } from '../util/errors.js';
import { parseRatios, type SweepSpec } from './sweep.js';

/** Adaptive ratios must be ratios of the sweep. */
function parseAdaptiveRatios(v: string, ratios: number[]): number[] {
  const xs = v.split(',').map(Number);
  const bad = xs.find((x) => !ratios.includes(x));
  if (bad !== undefined)
    throw new ConfigError(
      `--adaptive-ratios ${v}: ${bad} is not one of the sweep's ratios (${ratios.slice(0, 6).join(', ')}${ratios.length > 6 ? ', …' : ''})`,
    );
  return xs;
}

/** What `sparsegrad sweep` is asked, as its options parse (the sweep's own names). */
export interface SweepRequest {
  method: string[];
  scope: string[];
  ratios: string;
  calibration: number;
  calibrationFrom: 'train' | 'test';
  combinedOffset: number;
  seed: number;
  decouple?: boolean;
  adaptiveRatios?: string;
  adaptiveRecipes: UniversalRecipe[];
  adaptiveSteps: number;
  pgd?: number[];
  pgdSteps: number;
  pgdRestarts: number;
  pgdLoss: AttackLoss[];
  pgdImages?: number;
  certify?: number[];
  certifyImages?: number;
}

/**
 * The sweep a request describes, with the checks between its settings in one place: PGD and
 * certified bounds need adaptive ratios (they measure each pruned model there), certified
 * bounds are for dense pruned models (not with decoupling). One line names what does not fit.
 */
export function sweepSpecOf(o: SweepRequest): SweepSpec {
  const methods = pruneMethods(o.method);
  let ratios: number[];
  try {
    ratios = parseRatios(o.ratios);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const adaptive: AdaptiveSpec | undefined =
    o.adaptiveRatios === undefined
      ? undefined
      : {
          ratios: o.adaptiveRatios === 'all' ? 'all' : parseAdaptiveRatios(o.adaptiveRatios, ratios),
          recipes: o.adaptiveRecipes,
          noiseSteps: o.adaptiveSteps,
          noiseSeed: o.seed,
          pgd: o.pgd
            ? {
                ...DEFAULT_SUITE,
                epsilons: o.pgd,
                steps: o.pgdSteps,
                restarts: o.pgdRestarts,
                losses: o.pgdLoss,
                seed: o.seed,
              }
            : null,
          pgdImages: o.pgdImages ?? null,
        };
  if (o.pgd && !adaptive) throw new ConfigError('--pgd attacks each pruned model: give --adaptive-ratios too');
  if (o.certify && !adaptive)
    throw new ConfigError('--certify bounds each pruned model at the adaptive ratios: give --adaptive-ratios too');
  if (o.certify && o.decouple)
    throw new ConfigError('--certify bounds dense pruned models; it does not combine with --decouple');
  return {
    methods,
    scopes: o.scope,
    ratios,
    calibration: o.calibration,
    calibrationFrom: o.calibrationFrom,
    combinedOffset: o.combinedOffset,
    seed: o.seed,
    ...(o.decouple && { decouple: true }),
    ...(adaptive && { adaptive }),
    ...(o.certify && {
      certify: { epsilons: o.certify, methods: [...CERTIFY_METHODS], images: o.certifyImages ?? o.pgdImages ?? null },
    }),
  };
}
