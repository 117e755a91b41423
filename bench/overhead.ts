import { adamFor, trainStep } from '../src/nn/train';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf, type TrainConfig } from '../src/nn/config';
import { describeLayers, Net } from '../src/nn/net';
import { tidy } from '../src/tensor/tensor';
import { runner } from '../src/gpu/runner';
import { gpu } from '../src/gpu/device';
import { bufferPool } from '../src/gpu/buffers';
import { pipelineCache, pipelineStats } from '../src/gpu/pipelines';
import { seededRandom } from '../src/nn/random';
import { median } from '../src/gpu/timing';
import { printTable } from './common';

type Mode = 'uncached' | 'cached';

/** Cached: short pipeline keys and cached bind groups (the default). Uncached: as before both. */
function setMode(mode: Mode): void {
  pipelineCache.legacyKeys = mode === 'uncached';
  runner.cacheBindGroups = mode === 'cached';
}

interface Row {
  model: string;
  mode: Mode;
  dispatchesPerStep: number;
  /** Median over the steps: a step the OS preempted (2 cores shared with the driver's threads) does not move it. */
  encodeUsPerDispatch: number;
  /** Mean over the steps. */
  encodeUsPerDispatchMean: number;
  /** The median step without the time inside queue.writeBuffer (the batch's upload, spread over the step's dispatches). */
  encodeUsPerDispatchLessUploads: number;
  encodeMsPerStep: number;
  uploadMsPerStep: number;
  submitMsPerStep: number;
  iterationsPerSecond: number;
  createdPerStep: { pipelines: number; bindGroups: number; buffers: number };
}

/**
 * CPU cost of encoding a training step, per dispatch: each step is encoded after the GPU has
 * finished the previous one (so the driver's threads do not share the CPU with the encoding),
 * and the time from the first op to the last dispatch is divided by the dispatches. Then
 * iterations/s with steps submitted back to back, as training runs. Both modes in one run.
 */
async function measure(config: TrainConfig, mode: Mode, steps: number): Promise<Row> {
  setMode(mode);
  const net = Net.init(layersOf(config), config.keep, config.seed);
  const adam = adamFor(net, config);
  const rand = seededRandom(7);
  const x = Float32Array.from({ length: config.batch * 784 }, () => rand());
  const t = new Float32Array(config.batch * 10);
  for (let b = 0; b < config.batch; b++) t[b * 10 + (b % 10)] = 1;
  const step = (it: number) =>
    tidy(() => {
      trainStep(net, adam, config, x, t, it, false);
    });
  for (let it = 1; it <= 2; it++) {
    step(it);
    runner.flush();
  } // warm-up: compiles, fills the pool
  await runner.sync();
  const before = {
    pipelines: pipelineStats.compiled,
    bindGroups: runner.bindGroupsCreated,
    buffers: bufferPool.created,
  };
  let encodeMs = 0;
  const stepMs: number[] = [];
  const stepUploadMs: number[] = [];
  let submitMs = 0;
  let dispatches = 0;
  // Time inside writeBuffer (uploads of the batch and targets) is counted apart.
  const queue = gpu().device.queue;
  const write = queue.writeBuffer.bind(queue);
  let uploadMs = 0;
  let timing = false;
  queue.writeBuffer = ((...args: Parameters<GPUQueue['writeBuffer']>) => {
    const t = performance.now();
    write(...args);
    if (timing) uploadMs += performance.now() - t;
  }) as GPUQueue['writeBuffer'];
  for (let it = 3; it < 3 + steps; it++) {
    await runner.sync();
    // The first pass begun after a submit pays the driver's cost of that submit (about 5 ms on
    // lavapipe, once per submit whatever it held): timed on its own, outside the dispatches.
    const s0 = performance.now();
    runner.emptySubmit();
    submitMs += performance.now() - s0;
    const d0 = runner.dispatches;
    const u0 = uploadMs;
    const t0 = performance.now();
    timing = true;
    step(it);
    timing = false;
    stepMs.push(performance.now() - t0);
    stepUploadMs.push(uploadMs - u0);
    encodeMs += stepMs[stepMs.length - 1];
    dispatches += runner.dispatches - d0;
    runner.flush();
  }
  await runner.sync();
  queue.writeBuffer = write;
  const created = {
    pipelines: pipelineStats.compiled - before.pipelines,
    bindGroups: runner.bindGroupsCreated - before.bindGroups,
    buffers: bufferPool.created - before.buffers,
  };
  const t0 = performance.now();
  for (let it = 3 + steps; it < 3 + 2 * steps; it++) {
    step(it);
    runner.flush();
  }
  await runner.sync();
  const iterationsPerSecond = steps / ((performance.now() - t0) / 1000);
  adam.dispose();
  net.dispose();
  setMode('cached');
  return {
    model: `${config.arch} ${describeLayers(layersOf(config))}`,
    mode,
    dispatchesPerStep: dispatches / steps,
    encodeUsPerDispatch: (1000 * median(stepMs)) / (dispatches / steps),
    encodeUsPerDispatchMean: (1000 * encodeMs) / dispatches,
    encodeUsPerDispatchLessUploads: (1000 * median(stepMs.map((m, i) => m - stepUploadMs[i]))) / (dispatches / steps),
    encodeMsPerStep: encodeMs / steps,
    uploadMsPerStep: uploadMs / steps,
    submitMsPerStep: submitMs / steps,
    iterationsPerSecond,
    createdPerStep: {
      pipelines: created.pipelines / steps,
      bindGroups: created.bindGroups / steps,
      buffers: created.buffers / steps,
    },
  };
}

/** `npm run bench -- overhead`: CPU µs per dispatch and it/s, FC and CNN steps, before/after the dispatch caches. */
export async function benchOverhead(fcSteps = 20, cnnSteps = 4) {
  const fc: TrainConfig = { ...DEFAULT_CONFIG, iterations: fcSteps, evalEvery: 0 };
  const cnn: TrainConfig = { ...DEFAULT_CONFIG, ...CNN_DEFAULTS, iterations: cnnSteps, evalEvery: 0 };
  const rows: Row[] = [];
  for (const [config, steps] of [
    [fc, fcSteps],
    [cnn, cnnSteps],
  ] as const) {
    // Alternated so that a change in machine load hits both modes alike.
    for (const mode of ['uncached', 'cached', 'uncached', 'cached'] as const)
      rows.push(await measure(config, mode, steps));
  }
  const best = (model: string, mode: Mode) => {
    const rs = rows.filter((r) => r.model === model && r.mode === mode);
    return {
      encodeUs: Math.min(...rs.map((r) => r.encodeUsPerDispatch)),
      encodeUsLessUploads: Math.min(...rs.map((r) => r.encodeUsPerDispatchLessUploads)),
      itPerS: Math.max(...rs.map((r) => r.iterationsPerSecond)),
    };
  };
  const models = [...new Set(rows.map((r) => r.model))];
  const summary = models.map((model) => {
    const [u, c] = [best(model, 'uncached'), best(model, 'cached')];
    return {
      model,
      uncachedUsPerDispatch: u.encodeUs,
      cachedUsPerDispatch: c.encodeUs,
      cachedUsPerDispatchLessUploads: c.encodeUsLessUploads,
      encodeSpeedup: u.encodeUs / c.encodeUs,
      uncachedItPerS: u.itPerS,
      cachedItPerS: c.itPerS,
      stepSpeedup: c.itPerS / u.itPerS,
    };
  });
  printTable(
    'CPU cost per dispatch in a training step (encode only, GPU idle), and it/s',
    [
      'model',
      'mode',
      'dispatches/step',
      'µs/dispatch (median step)',
      'mean',
      'less uploads',
      'ms/step encode',
      'ms/step upload',
      'ms/submit',
      'it/s',
      'new pipelines/bind groups/buffers per step',
    ],
    rows.map((r) => [
      r.model,
      r.mode,
      r.dispatchesPerStep,
      r.encodeUsPerDispatch,
      r.encodeUsPerDispatchMean,
      r.encodeUsPerDispatchLessUploads,
      r.encodeMsPerStep,
      r.uploadMsPerStep,
      r.submitMsPerStep,
      r.iterationsPerSecond,
      `${r.createdPerStep.pipelines}/${r.createdPerStep.bindGroups}/${r.createdPerStep.buffers}`,
    ]),
  );
  printTable(
    'Best of two, uncached → cached',
    ['model', 'µs/dispatch', '→', 'less uploads', 'x', 'it/s', '→', 'x'],
    summary.map((s) => [
      s.model,
      s.uncachedUsPerDispatch,
      s.cachedUsPerDispatch,
      s.cachedUsPerDispatchLessUploads,
      s.encodeSpeedup,
      s.uncachedItPerS,
      s.cachedItPerS,
      s.stepSpeedup,
    ]),
  );
  return { rows, summary };
}
