import { fcLayers } from '../src/nn/layer-spec';
import { makeNoise, DEFAULT_NOISE } from '../src/adversarial/noise';
import { pgd, pgdAttack } from '../src/adversarial/pgd';
import { loadMnistDir } from '../src/data/node-loader';
import { take } from '../src/data/dataset';
import { runSweep, sweepUnits, type SweepSpec } from '../src/study/sweep';
import { existsSync } from 'node:fs';
import { benchData, printTable } from './common';
import { modelOfLayers } from '../src/nn/study-models';

/** Noise-optimisation steps/s, PGD images/s and sweep time, on the study's FC net (784-1500-1000-800-10). */
export async function benchAdversarial() {
  const sizes = [784, 1500, 1000, 800, 10];
  const model = modelOfLayers(fcLayers(sizes), 0, 1);
  const embedded = benchData();
  const rows: Record<string, unknown>[] = [];

  const steps = 40;
  let t0 = performance.now();
  await makeNoise(model, embedded.train, { ...DEFAULT_NOISE, target: 3, limit: 0.25, steps });
  const noiseStepsPerS = steps / ((performance.now() - t0) / 1000);
  rows.push({ what: 'universal noise (Adam, batch 64)', value: noiseStepsPerS, unit: 'steps/s' });

  const images = take(embedded.test, 1000);
  // Images leave the batch once broken, so time per attacked image-step (forward + input
  // gradient), and images/s for a 100-step attack in which no image breaks early.
  const pgdSteps = 10;
  for (const loss of ['ce', 'margin'] as const) {
    t0 = performance.now();
    const r = await pgdAttack(model, images, pgd(0.1, pgdSteps, { loss }));
    const perS = r.imageSteps / ((performance.now() - t0) / 1000);
    rows.push({ what: `PGD-${loss} L∞ ε=0.1, batch 500 (attacked image-steps)`, value: perS, unit: 'image-steps/s' });
    rows.push({ what: `PGD-${loss}, 100 steps, no early stop`, value: perS / 100, unit: 'images/s' });
  }

  // One sweep unit = a pruned model evaluated clean and under 8 noise vectors on the test set.
  const full = existsSync('../shared/data/mnist') ? loadMnistDir('../shared/data/mnist').test : embedded.test;
  const noises = Array.from({ length: 8 }, (_, k) => ({
    target: k,
    limit: 0.2,
    noise: new Float32Array(784).fill(0.01 * k),
    name: `${k}/0.2`,
  }));
  const spec: SweepSpec = {
    methods: ['abs'],
    scopes: ['per-matrix'],
    ratios: [0.5, 0.9],
    calibration: 2000,
    combinedOffset: 0.07,
    seed: 1,
  };
  const weights = await Promise.all(model.weights.map((w) => w.read()));
  const units = sweepUnits(spec, [{ name: 'bench' }]);
  await runSweep(
    spec,
    [{ name: 'bench', seed: 1, model, weights }],
    { test: take(full, 500), train: embedded.train },
    noises,
    units.slice(0, 1),
    () => {},
  ); // warm-up
  t0 = performance.now();
  await runSweep(
    spec,
    [{ name: 'bench', seed: 1, model, weights }],
    { test: full, train: embedded.train },
    noises,
    units,
    () => {},
  );
  const unitSeconds = (performance.now() - t0) / 1000 / units.length;
  rows.push({
    what: `sweep unit: prune + 9 evaluations × ${full.count} test images`,
    value: unitSeconds,
    unit: 's/ratio',
  });
  rows.push({
    what: '100-ratio sweep, 8 noise vectors (projected from the units timed)',
    value: 100 * unitSeconds,
    unit: 's',
  });
  model.dispose();
  printTable(
    'adversarial and sweep throughput (FC 784-1500-1000-800-10)',
    ['what', 'value', 'unit'],
    rows.map((r) => [String(r.what), r.value as number, String(r.unit)]),
  );
  return { rows, testImages: full.count };
}
