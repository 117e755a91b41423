import { trainModel } from '../src/nn/train';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf } from '../src/nn/config';
import { describeLayers } from '../src/nn/layer-spec';
import { loadEmbedded } from '../src/data/node-loader';
import { printTable } from './common';
import { tfjsTrainFc } from './tfjs';

/** Training iterations/s of the study's FC net (784-1500-1000-800-10) and CNN, batch 250. */
export async function benchTrain(iterations = 30) {
  const data = loadEmbedded();
  const rows = [];
  // One step of each model first, so pipeline compilation is not timed.
  const timedRun = async (config: Parameters<typeof trainModel>[0]) => {
    (await trainModel({ ...config, iterations: 1 }, data, { logEvery: 1000 })).model.dispose();
    return trainModel(config, data, { logEvery: 1000 });
  };
  for (const loss of ['quadratic', 'softmax-ce'] as const) {
    const config = { ...DEFAULT_CONFIG, loss, iterations, evalEvery: 0 };
    const r = await timedRun(config);
    const flopsPerStep =
      3 * 2 * config.batch * [784, ...config.hidden, 10].reduce((s, d, i, a) => (i ? s + a[i - 1] * d : 0), 0);
    rows.push({
      model: `fc 784-${config.hidden.join('-')}-10`,
      loss,
      batch: config.batch,
      iterations,
      iterationsPerSecond: r.metrics.iterationsPerSecond,
      matmulGflopsPerStep: flopsPerStep / 1e9,
      effectiveGflops: (flopsPerStep * r.metrics.iterationsPerSecond) / 1e9,
    });
    r.model.dispose();
  }
  // The study CNN: fewer steps, each ~30× the FC net's work.
  const cnnConfig = { ...DEFAULT_CONFIG, ...CNN_DEFAULTS, iterations: 4, evalEvery: 0 };
  const r = await timedRun(cnnConfig);
  const layerFlops = layersOf(cnnConfig).reduce(
    (s, l) => s + 2 * (l.kind === 'conv' ? 784 * l.outChannels * l.inChannels * l.kernel ** 2 : l.inDim * l.outDim),
    0,
  );
  const cnnFlops = 3 * cnnConfig.batch * layerFlops;
  rows.push({
    model: `cnn ${describeLayers(layersOf(cnnConfig))}`,
    loss: cnnConfig.loss,
    batch: cnnConfig.batch,
    iterations: cnnConfig.iterations,
    iterationsPerSecond: r.metrics.iterationsPerSecond,
    matmulGflopsPerStep: cnnFlops / 1e9,
    effectiveGflops: (cnnFlops * r.metrics.iterationsPerSecond) / 1e9,
  });
  r.model.dispose();
  printTable(
    'FC and CNN training step (forward + backward + Adam, one submit per step)',
    ['model', 'loss', 'batch', 'it/s', 'GFLOP/step', 'GFLOP/s'],
    rows.map((r) => [r.model, r.loss, r.batch, r.iterationsPerSecond, r.matmulGflopsPerStep, r.effectiveGflops]),
  );
  // The whole step against the peer on the same adapter: ours again right after tfjs, so that
  // both see the same machine load; the ratio uses the mean of our two runs.
  const fc = { ...DEFAULT_CONFIG, loss: 'quadratic' as const, iterations, evalEvery: 0 };
  const peer = await tfjsTrainFc(
    fc.hidden,
    fc.batch,
    fc.dropout,
    fc.l2,
    fc.lr,
    Math.max(5, Math.round(iterations / 3)),
  );
  const again = await timedRun(fc);
  again.model.dispose();
  const ours = (rows[0].iterationsPerSecond + again.metrics.iterationsPerSecond) / 2;
  const tfjs = {
    model: rows[0].model,
    loss: 'quadratic',
    oursItPerS: ours,
    tfjsItPerS: peer.iterationsPerSecond,
    ratio: peer.iterationsPerSecond ? ours / peer.iterationsPerSecond : null,
    note: peer.note,
  };
  printTable(
    'Whole FC training step against tfjs-webgpu on the same adapter',
    ['model', 'ours it/s', 'tfjs it/s', 'ours/tfjs'],
    [[tfjs.model, tfjs.oursItPerS, tfjs.tfjsItPerS ?? '-', tfjs.ratio ?? '-']],
  );
  if (peer.note) console.log(peer.note);
  return { rows, tfjs };
}
