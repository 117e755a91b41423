import { describe, expect, it } from 'vitest';
import { sweepSpecOf, type SweepRequest } from '../../src/study/sweep-spec';

const base: SweepRequest = {
  method: ['abs', 'act'],
  scope: ['per-matrix'],
  ratios: '0:0.5:0.25',
  calibration: 100,
  calibrationFrom: 'train',
  combinedOffset: 0.1,
  seed: 3,
  adaptiveRecipes: ['study'],
  adaptiveSteps: 20,
  pgdSteps: 10,
  pgdRestarts: 1,
  pgdLoss: ['ce'],
};

describe('a sweep request becomes its spec, the checks between settings in one place', () => {
  it('maps every setting; adaptive PGD and certified bounds where asked', () => {
    expect(sweepSpecOf(base)).toEqual({
      methods: ['abs', 'act'],
      scopes: ['per-matrix'],
      ratios: [0, 0.25, 0.5],
      calibration: 100,
      calibrationFrom: 'train',
      combinedOffset: 0.1,
      seed: 3,
    });
    const full = sweepSpecOf({ ...base, adaptiveRatios: '0.25', pgd: [0.1], pgdImages: 50, certify: [0.02] });
    expect(full.adaptive).toMatchObject({
      ratios: [0.25],
      recipes: ['study'],
      noiseSteps: 20,
      noiseSeed: 3,
      pgdImages: 50,
    });
    expect(full.adaptive?.pgd).toMatchObject({ epsilons: [0.1], steps: 10, restarts: 1, losses: ['ce'], seed: 3 });
    expect(full.certify).toEqual({ epsilons: [0.02], methods: ['ibp', 'crown'], images: 50 });
  });

  it('refuses what does not fit, in one line each', () => {
    const refused: [Partial<SweepRequest>, string][] = [
      [{ method: ['abs', 'bogus'] }, '--method bogus: use abs, act, act-abs-mean, combined, random, pixel-mask'],
      [{ pgd: [0.1] }, '--pgd attacks each pruned model: give --adaptive-ratios too'],
      [{ certify: [0.02] }, '--certify bounds each pruned model at the adaptive ratios: give --adaptive-ratios too'],
      [
        { certify: [0.02], adaptiveRatios: 'all', decouple: true },
        '--certify bounds dense pruned models; it does not combine with --decouple',
      ],
      [{ adaptiveRatios: '0.3' }, "--adaptive-ratios 0.3: 0.3 is not one of the sweep's ratios (0, 0.25, 0.5)"],
    ];
    for (const [change, message] of refused) expect(() => sweepSpecOf({ ...base, ...change })).toThrow(message);
  });
});
