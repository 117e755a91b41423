import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { fcLayers } from '../../src/nn/layer-spec';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { adaptiveRows, adaptiveRowCount, attackFlags, type AdaptiveSpec } from '../../src/adversarial/adaptive';
import { DEFAULT_SUITE } from '../../src/adversarial/suite';
import { UNIVERSAL_RECIPES, makeNoise, DEFAULT_NOISE, meanAbs } from '../../src/adversarial/noise';
import { modelOfLayers } from '../../src/nn/study-models';

useGpu();

describe('attack-failure flags', () => {
  it('fire on a collapsed noise and on an attack weaker than transfer, and only then', () => {
    const tiny = new Float32Array(784).fill(0.004),
      full = new Float32Array(784).fill(0.25);
    expect(attackFlags({ accuracy: 0.5, transferAccuracy: 0.6, noise: tiny, limit: 0.25 })).toBe('collapsed');
    expect(attackFlags({ accuracy: 0.7, transferAccuracy: 0.6, noise: full, limit: 0.25 })).toBe(
      'weaker-than-transfer',
    );
    expect(attackFlags({ accuracy: 0.7, transferAccuracy: 0.6, noise: tiny, limit: 0.25 })).toBe(
      'collapsed;weaker-than-transfer',
    );
    expect(attackFlags({ accuracy: 0.6, transferAccuracy: 0.6, noise: full, limit: 0.25 })).toBe('');
    expect(attackFlags({ accuracy: 0.9, transferAccuracy: null })).toBe('');
  });

  it('on a model, a penalty that outweighs the cross-entropy collapses the noise and is flagged; the no-penalty recipe is not', async () => {
    const all = loadEmbedded();
    const train = take(all.train, 500),
      test = take(all.test, 300);
    const net = modelOfLayers(fcLayers([784, 32, 10]), 0, 7);
    // Transfer predictions that are all wrong: any adaptive attack leaving an image right is weaker.
    const allWrong = Uint8Array.from(test.labels, (y) => (y + 1) % 10);
    const spec: AdaptiveSpec = {
      ratios: 'all',
      recipes: ['study', 'no-penalty'],
      noiseSteps: 30,
      noiseSeed: 1,
      pgd: { ...DEFAULT_SUITE, epsilons: [0.1], steps: 5, losses: ['ce'] },
      pgdImages: 100,
    };
    // A constructed collapse: the study recipe's code path with a 1e4× heavier penalty.
    const rows = await adaptiveRows(
      net,
      spec,
      { train, test },
      [{ target: 3, limit: 0.3, noise: new Float32Array(784), name: '3/0.3' }],
      new Map([['3/0.3', allWrong]]),
      { ...UNIVERSAL_RECIPES, study: { l2: 200 } },
    );
    expect(rows).toHaveLength(adaptiveRowCount(spec, 1));
    const [study, noPenalty, worst, pgd] = rows;
    expect(study.attack).toBe('universal:study');
    expect(study.noiseMeanAbs!).toBeLessThan(0.03);
    expect(study.flags).toContain('collapsed');
    expect(study.flags).toContain('weaker-than-transfer');
    expect(noPenalty.attack).toBe('universal:no-penalty');
    expect(noPenalty.flags).not.toContain('collapsed');
    expect(noPenalty.noiseMeanAbs!).toBeGreaterThan(0.1);
    // The worst case per image takes transfer in: all transfer predictions were wrong.
    expect(worst).toMatchObject({ attack: 'worst', accuracy: 0 });
    expect(pgd).toMatchObject({ attack: 'pgd-ce', noise: 'pgd ε=0.1' });
    net.dispose();
  });

  it('the no-penalty recipe uses the limit: mean |n| well above the collapse threshold on a trained-free net', async () => {
    const train = take(loadEmbedded().train, 200);
    const net = modelOfLayers(fcLayers([784, 16, 10]), 0, 3);
    const n = await makeNoise(net, train, {
      ...DEFAULT_NOISE,
      ...UNIVERSAL_RECIPES['no-penalty'],
      target: 5,
      limit: 0.2,
      steps: 40,
    });
    expect(meanAbs(n)).toBeGreaterThan(0.1);
    net.dispose();
  });
});
