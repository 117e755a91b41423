import { adamFor, trainStep } from '../src/nn/train';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf, type TrainConfig } from '../src/nn/config';
import { describeLayers } from '../src/nn/layer-spec';
import { tidy } from '../src/tensor/tensor';
import { median } from '../src/gpu/timing';
import { benchData, printTable } from './common';
import { batchesFor } from '../src/nn/batches';
import type { Dataset } from '../src/data/dataset';
import { defaultBackend as backend } from '../src/gpu/default-backend';
import { modelOfLayers } from '../src/nn/study-models';

/**
 * uncached: whole-source pipeline keys and a bind group per dispatch (before issue 18), batches
 * uploaded per step; cached: short keys and cached bind groups, batches uploaded per step;
 * cached+gpu-batches: as cached, with the training set held on the GPU and each batch gathered
 * there (what training now does when the set fits).
 */
type Mode = 'uncached' | 'cached' | 'cached+gpu-batches';

function setMode(mode: Mode): void {
  backend().pipelines.legacyKeys = mode === 'uncached';
  backend().runner.cacheBindGroups = mode !== 'uncached';
}

interface Row {
  model: string;
  mode: Mode;
  dispatchesPerStep: number;
  /**
   * Encoded right after the GPU finished the previous step (the protocol of earlier runs). On a
   * VM's 2 shared cores the encoding thread is then cold: sleeping 20 ms before a step doubles
   * its encode time.
   */
  coldUsPerDispatch: number;
  /**
   * Encoded right after encoding the same step (discarded, not run): the CPU as hot as in
   * training on a GPU, where steps are encoded back to back. Median over WARM_REPEATS + 1 encodes
   * per iteration.
   */
  warmUsPerDispatch: number;
  /** The warm step without the time inside queue.writeBuffer (batch and index uploads). */
  warmUsPerDispatchLessUploads: number;
  /** queue.submit of the warm step (and its uniforms' upload): Dawn's translation and the driver's recording. */
  submitUsPerDispatch: number;
  warmUploadMsPerStep: number;
  iterationsPerSecond: number;
  createdPerStep: { pipelines: number; bindGroups: number; buffers: number };
}

/** Warm encodes per measured iteration, discarded, before the one submitted: CPU-only samples. */
const WARM_REPEATS = 5;

/**
 * CPU cost of a training step per dispatch. Each measured iteration waits for the GPU, encodes a
 * step cold and discards it, encodes it warm WARM_REPEATS times and discards those, then once more
 * and submits it. Then iterations/s with
 * steps submitted back to back, as training runs. Every mode in one run.
 */
async function measure(config: TrainConfig, mode: Mode, steps: number, data: Dataset): Promise<Row> {
  setMode(mode);
  const net = modelOfLayers(layersOf(config), config.dropout, config.seed);
  const adam = adamFor(net, config);
  const batches = batchesFor(data, config.batch, config.seed, 10, mode === 'cached+gpu-batches' ? 'device' : 'host');
  const step = (it: number) =>
    tidy(() => {
      const { x, t } = batches.next();
      trainStep(net, adam, config, x, t, it, false);
    });
  for (let it = 1; it <= 2; it++) {
    step(it);
    backend().runner.flush();
  } // warm-up: compiles, fills the pool
  await backend().runner.sync();
  const before = {
    pipelines: backend().pipelines.compiled,
    bindGroups: backend().runner.bindGroupsCreated,
    buffers: backend().pool.created,
  };
  const cold: number[] = [];
  const warm: number[] = [];
  const warmUploads: number[] = [];
  const submit: number[] = [];
  let dispatches = 0;
  // Time inside writeBuffer (uploads of the batch or its indices) is counted apart.
  const queue = backend().gpu.device.queue;
  const write = queue.writeBuffer.bind(queue);
  let uploadMs = 0;
  queue.writeBuffer = ((...args: Parameters<GPUQueue['writeBuffer']>) => {
    const t = performance.now();
    write(...args);
    uploadMs += performance.now() - t;
  }) as GPUQueue['writeBuffer'];
  for (let it = 3; it < 3 + steps; it++) {
    await backend().runner.sync();
    // The first pass begun after a submit pays the driver's cost of that submit (about 5 ms on
    // lavapipe, once per submit whatever it held): paid here, outside the timed steps.
    backend().runner.emptySubmit();
    let t0 = performance.now();
    step(it);
    cold.push(performance.now() - t0);
    backend().runner.discard();
    // Warm: the same step encoded again, WARM_REPEATS times discarded, then once submitted.
    for (let w = 0; w <= WARM_REPEATS; w++) {
      const d0 = backend().runner.dispatches;
      const u0 = uploadMs;
      t0 = performance.now();
      step(it);
      const t1 = performance.now();
      warm.push(t1 - t0);
      warmUploads.push(uploadMs - u0);
      dispatches = backend().runner.dispatches - d0;
      if (w < WARM_REPEATS) {
        backend().runner.discard();
        continue;
      }
      backend().runner.flush();
      submit.push(performance.now() - t1);
    }
  }
  await backend().runner.sync();
  queue.writeBuffer = write;
  const created = {
    pipelines: backend().pipelines.compiled - before.pipelines,
    bindGroups: backend().runner.bindGroupsCreated - before.bindGroups,
    buffers: backend().pool.created - before.buffers,
  };
  const t0 = performance.now();
  for (let it = 3 + steps; it < 3 + 2 * steps; it++) {
    step(it);
    backend().runner.flush();
  }
  await backend().runner.sync();
  const iterationsPerSecond = steps / ((performance.now() - t0) / 1000);
  adam.dispose();
  net.dispose();
  batches.dispose();
  setMode('cached');
  const encodes = steps * (WARM_REPEATS + 2); // cold, warm discarded, warm submitted
  const perDispatch = (ms: number) => (1000 * ms) / dispatches;
  return {
    model: `${config.arch} ${describeLayers(layersOf(config))}`,
    mode,
    dispatchesPerStep: dispatches,
    coldUsPerDispatch: perDispatch(median(cold)),
    warmUsPerDispatch: perDispatch(median(warm)),
    warmUsPerDispatchLessUploads: perDispatch(median(warm.map((m, i) => m - warmUploads[i]))),
    submitUsPerDispatch: perDispatch(median(submit)),
    warmUploadMsPerStep: median(warmUploads),
    iterationsPerSecond,
    createdPerStep: {
      pipelines: created.pipelines / encodes,
      bindGroups: created.bindGroups / encodes,
      buffers: created.buffers / encodes,
    },
  };
}

/** `npm run bench -- overhead`: CPU µs per dispatch and it/s, FC and CNN steps, before/after the dispatch caches and GPU-held batches. */
export async function benchOverhead(fcSteps = 20, cnnSteps = 4) {
  const data = benchData().train;
  const fc: TrainConfig = { ...DEFAULT_CONFIG, iterations: fcSteps, evalEvery: 0 };
  const cnn: TrainConfig = { ...DEFAULT_CONFIG, ...CNN_DEFAULTS, iterations: cnnSteps, evalEvery: 0 };
  const modes: Mode[] = ['uncached', 'cached', 'cached+gpu-batches'];
  const rows: Row[] = [];
  for (const [config, steps] of [
    [fc, fcSteps],
    [cnn, cnnSteps],
  ] as const) {
    // Alternated so that a change in machine load hits every mode alike.
    for (const mode of [...modes, ...modes]) rows.push(await measure(config, mode, steps, data));
  }
  const best = (model: string, mode: Mode) => {
    const rs = rows.filter((r) => r.model === model && r.mode === mode);
    const min = (f: (r: Row) => number) => Math.min(...rs.map(f));
    return {
      coldUs: min((r) => r.coldUsPerDispatch),
      warmUs: min((r) => r.warmUsPerDispatch),
      warmUsLessUploads: min((r) => r.warmUsPerDispatchLessUploads),
      submitUs: min((r) => r.submitUsPerDispatch),
      itPerS: Math.max(...rs.map((r) => r.iterationsPerSecond)),
    };
  };
  const models = [...new Set(rows.map((r) => r.model))];
  const summary = models.flatMap((model) => modes.map((mode) => ({ model, mode, ...best(model, mode) })));
  printTable(
    'CPU cost per dispatch in a training step (median step), and it/s',
    [
      'model',
      'mode',
      'dispatches/step',
      'cold µs/dispatch',
      'warm µs/dispatch',
      'less uploads',
      'submit µs/dispatch',
      'ms/step upload',
      'it/s',
      'new pipelines/bind groups/buffers per step',
    ],
    rows.map((r) => [
      r.model,
      r.mode,
      r.dispatchesPerStep,
      r.coldUsPerDispatch,
      r.warmUsPerDispatch,
      r.warmUsPerDispatchLessUploads,
      r.submitUsPerDispatch,
      r.warmUploadMsPerStep,
      r.iterationsPerSecond,
      `${r.createdPerStep.pipelines}/${r.createdPerStep.bindGroups}/${r.createdPerStep.buffers}`,
    ]),
  );
  printTable(
    'Best of two runs per mode',
    ['model', 'mode', 'cold µs/dispatch', 'warm', 'warm less uploads', 'submit', 'it/s'],
    summary.map((s) => [s.model, s.mode, s.coldUs, s.warmUs, s.warmUsLessUploads, s.submitUs, s.itPerS]),
  );
  return { rows, summary };
}
