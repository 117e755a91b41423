import { ConfigError } from '../util/errors.js';
import type { StudyPreset } from './study.js';
import { parseRatios } from './sweep.js';

/** What a run may change of a study preset (each recorded in study.json with the preset). */
export interface StudyOverrides {
  /** start:stop:step or a comma list. */
  ratios?: string;
  /** Only these of the preset's sweeps. */
  sweeps?: string[];
  iterations?: number;
  adaptiveSteps?: number;
  pgdSteps?: number;
  /** Adaptive PGD and the certified bounds on the first n test images. */
  pgdImages?: number;
}

/** The preset with the command line's overrides (each one recorded in study.json with the preset). */
export function withOverrides(p: StudyPreset, o: StudyOverrides): StudyPreset {
  let ratios = p.ratios;
  if (o.ratios !== undefined) {
    try {
      ratios = parseRatios(o.ratios);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  const names = o.sweeps;
  const unknown = names?.find((n) => !p.sweeps.some((s) => s.name === n));
  if (unknown) throw new ConfigError(`--sweeps ${unknown}: this preset has ${p.sweeps.map((s) => s.name).join(', ')}`);
  const pgd = p.adaptive.pgd && { ...p.adaptive.pgd, ...(o.pgdSteps !== undefined && { steps: o.pgdSteps }) };
  return {
    ...p,
    ratios,
    train: { ...p.train, ...(o.iterations !== undefined && { iterations: o.iterations }) },
    sweeps: names ? p.sweeps.filter((s) => names.includes(s.name)) : p.sweeps,
    adaptive: {
      ...p.adaptive,
      pgd,
      ...(o.adaptiveSteps !== undefined && { noiseSteps: o.adaptiveSteps }),
      ...(o.pgdImages !== undefined && { pgdImages: o.pgdImages }),
    },
    // The sandwich's images follow --pgd-images where it is given.
    ...(p.certify && o.pgdImages !== undefined && { certify: { ...p.certify, images: o.pgdImages } }),
  };
}
