// Where a training step's CPU goes, per native pass call (docs/gpu-readiness.md): the study's FC
// step (DEFAULT_CONFIG, batch 250) is encoded N times after the GPU finished the previous one,
// with setPipeline, setBindGroup and dispatchWorkgroups timed one by one (dispatches by kernel),
// and GC events inside the encode windows counted (a PerformanceObserver on 'gc').
// node scripts/build.mjs instep bench/dispatch_in_step.ts && N=30 node dist/instep.js
import { PerformanceObserver } from 'node:perf_hooks';
import { initGpu } from '../src/gpu/node-gpu';
import { adamFor, trainStep } from '../src/nn/train';
import { DEFAULT_CONFIG, layersOf } from '../src/nn/config';

import { tidy } from '../src/tensor/tensor';
import { defaultBackend as backend } from '../src/gpu/default-backend';
import { modelOfLayers } from '../src/nn/study-models';

await initGpu();
const config = { ...DEFAULT_CONFIG, iterations: 100, evalEvery: 0 };
const net = modelOfLayers(layersOf(config), config.dropout, config.seed);
const adam = adamFor(net, config);
const x = new Float32Array(config.batch * 784).fill(0.5);
const t = new Float32Array(config.batch * 10);
const step = (it: number) =>
  tidy(() => {
    trainStep(net, adam, config, x, t, it, false);
  });
for (let it = 1; it <= 3; it++) {
  step(it);
  backend().runner.flush();
}
await backend().runner.sync();

// Per call kind (dispatches per kernel): [total ms, calls].
const calls: Record<string, [number, number]> = {};
const r = backend().runner as unknown as {
  begin: (tw?: unknown) => GPUComputePassEncoder;
  lastPipeline: { label: string } | null;
};
const realBegin = r.begin.bind(backend().runner);
const wrapped = new WeakSet<object>();
r.begin = (tw?: unknown) => {
  const pass = realBegin(tw) as unknown as Record<string, (...a: unknown[]) => unknown>;
  if (!wrapped.has(pass)) {
    wrapped.add(pass);
    for (const m of ['setPipeline', 'setBindGroup', 'dispatchWorkgroups']) {
      const f = pass[m].bind(pass);
      pass[m] = (...a: unknown[]) => {
        const t0 = performance.now();
        const v = f(...a);
        const key = m === 'dispatchWorkgroups' ? `dispatchWorkgroups ${r.lastPipeline?.label ?? '?'}` : m;
        (calls[key] ??= [0, 0])[0] += performance.now() - t0;
        calls[key][1]++;
        return v;
      };
    }
  }
  return pass as unknown as GPUComputePassEncoder;
};

const gcs: number[] = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcs.push(e.startTime);
}).observe({ entryTypes: ['gc'] });
const windows: [number, number][] = [];
const N = Number(process.env.N ?? 30);
const d0 = backend().runner.dispatches;
let encodeMs = 0;
for (let it = 4; it < 4 + N; it++) {
  await backend().runner.sync();
  backend().runner.emptySubmit(); // the driver's once-per-submit cost, outside the timed window
  const t0 = performance.now();
  step(it);
  const t1 = performance.now();
  encodeMs += t1 - t0;
  windows.push([t0, t1]);
  backend().runner.flush();
}
await backend().runner.sync();
await new Promise((res) => setTimeout(res, 100));
const dispatches = (backend().runner.dispatches - d0) / N;
console.log(
  JSON.stringify(
    {
      steps: N,
      dispatchesPerStep: dispatches,
      usPerDispatch: (1000 * encodeMs) / (N * dispatches),
      gcInsideEncodeWindows: gcs.filter((s) => windows.some(([a, b]) => s >= a && s < b)).length,
      usPerCall: Object.fromEntries(
        Object.entries(calls)
          .sort()
          .map(([k, [ms, n]]) => [k, { perStep: n / N, us: (1000 * ms) / n }]),
      ),
    },
    null,
    1,
  ),
);
process.exit(0);
