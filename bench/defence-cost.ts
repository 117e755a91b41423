// The cost of each defence in device-seconds (issue 30 (d)), all measured in one run on LeNet-300-100
// (784-300-100-10, linear-quadratic, batch 250): a natural training step, a fast adversarial one
// (FGSM-RS) and a Madry one (PGD-7); a HYDRA score step; one-shot pruning by |w| and by activated
// value; certifying an image by IBP and by CROWN. The totals for the budgets of the committed runs
// follow from these rates, and the ratios to natural training hold across adapters and machine load
// better than any one time.
import { trainModel } from '../src/nn/train';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/nn/config';
import { parseAdversarial } from '../src/cli/options';
import { hydraMasks } from '../src/prune/hydra';
import { Pruner } from '../src/prune/prune';
import { calibrationIndices, layerInputStats } from '../src/prune/stats';
import { boundGraph } from '../src/certify/graph';
import { crown, ibp, linfBoxes, marginSpecs } from '../src/certify/bounds';
import { take } from '../src/data/dataset';
import { benchData, printTable } from './common';

const seconds = async (run: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
};

export async function benchDefenceCost(iterations = 60) {
  const data = benchData();
  const base: TrainConfig = { ...DEFAULT_CONFIG, hidden: [300, 100], iterations, evalEvery: 0 };
  const rows: { what: string; unit: string; seconds: number; perNatural?: number }[] = [];
  // Training steps: one step of each first, so that pipeline compilation is not timed.
  const kinds = [
    ['natural training step', undefined],
    ['FGSM-RS ε=0.1 training step (fast AT)', 'fgsm-rs:0.1'],
    ['PGD-7 ε=0.1 training step (Madry AT)', 'pgd:0.1,7'],
  ] as const;
  let model = null;
  for (const [what, spec] of kinds) {
    const config = { ...base, ...(spec && { adversarial: parseAdversarial(spec) }) };
    (await trainModel({ ...config, iterations: 1 }, data, { logEvery: 1e9 })).model.dispose();
    const r = await trainModel(config, data, { logEvery: 1e9 });
    rows.push({ what, unit: 'step', seconds: 1 / r.metrics.iterationsPerSecond });
    if (model) r.model.dispose();
    else model = r.model; // the natural model: the one pruned and certified below
  }
  const net = model!;
  // HYDRA: score steps on the FGSM-RS loss (the weights frozen).
  const hydraSpec = { ratio: 0.9, lr: 0.01, adversarial: parseAdversarial('fgsm-rs:0.1'), batch: 250, seed: 1 };
  await hydraMasks(net, base, data.train, { ...hydraSpec, steps: 1 });
  const hydraSteps = 20;
  const hydra = await seconds(() => hydraMasks(net, base, data.train, { ...hydraSpec, steps: hydraSteps }));
  rows.push({ what: 'HYDRA score step (FGSM-RS ε=0.1 loss)', unit: 'step', seconds: hydra / hydraSteps });
  // One-shot pruning: scoring and masking (abs), with activation statistics of 2,000 images (act).
  const weights = await Promise.all(net.weights.map((w) => w.read()));
  for (const method of ['abs', 'act'] as const) {
    const once = async () => {
      const stats =
        method === 'act' ? await layerInputStats(net, data.train, calibrationIndices(data.train, 2000, 1)) : null;
      const pruner = new Pruner(net, weights, stats, {
        method,
        scope: { kind: 'per-matrix' },
        combinedOffset: 0.07,
        seed: 1,
      });
      const pruned = pruner.prunedModel(0.9);
      await pruned.backend.sync();
      pruned.weights.forEach((w) => w.dispose()); // it shares the model's biases
      pruner.dispose();
    };
    await once();
    rows.push({
      what: `one-shot pruning by ${method === 'abs' ? '|w|' : 'activated value'}, 90%`,
      unit: 'model',
      seconds: await seconds(once),
    });
  }
  // Certifying: per image, ε = 0.05.
  const steps = boundGraph(net, [data.test.pixels]);
  for (const method of ['ibp', 'crown'] as const) {
    const n = method === 'ibp' ? 500 : 100;
    const bound = (k: number) => {
      const test = take(data.test, k);
      const { lo, hi } = linfBoxes(test.images, 0.05);
      const spec = marginSpecs(test.labels, net.classes);
      return () => (method === 'ibp' ? ibp : crown)(steps, lo, hi, k, spec, net.classes - 1);
    };
    await bound(10)();
    rows.push({
      what: `certify by ${method.toUpperCase()}, ε=0.05`,
      unit: 'image',
      seconds: (await seconds(bound(n))) / n,
    });
  }
  steps.dispose();
  net.dispose();
  const natural = rows[0].seconds;
  for (const r of rows) r.perNatural = r.seconds / natural;
  printTable(
    'Defence costs on LeNet-300-100 (batch 250), one run',
    ['what', 'per', 'ms', '× a natural step'],
    rows.map((r) => [r.what, r.unit, 1000 * r.seconds, r.perNatural!]),
  );
  return { model: 'fc 784-300-100-10, quadratic, batch 250', iterations, rows };
}
