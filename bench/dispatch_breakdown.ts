// Where the CPU time of a dispatch goes (docs/gpu-readiness.md). Training steps are encoded
// three ways —
//   full: as they run; no-dawn: the runner's work but a stand-in for dawn.node's pass calls;
//   ops-only: backend().runner.dispatch itself stubbed out (only our op-level JavaScript is left) —
// on either a tiny FC net (16-wide layers, batch 8: encoding is all that costs; the real runner
// submits every 20 steps) or, with MODEL=fc / MODEL=cnn, the study's net at batch 250 with its
// batches gathered on the GPU, encoded back to back and discarded (never run: CPU only, warm).
// Then the three dawn.node pass calls alone, in a tight loop of their own.
// node scripts/build.mjs breakdown bench/dispatch_breakdown.ts && MODEL=fc node dist/breakdown.js
import { initGpu } from '../src/gpu/node-gpu';
import { adamFor, trainStep } from '../src/nn/train';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf, type TrainConfig } from '../src/nn/config';

import { tidy } from '../src/tensor/tensor';
import { median } from '../src/gpu/timing';
import { batchesFor } from '../src/nn/batches';
import { loadEmbedded } from '../src/data/node-loader';
import { defaultBackend as backend } from '../src/gpu/default-backend';
import { modelOfLayers } from '../src/nn/study-models';

await initGpu();
const model = process.env.MODEL ?? 'tiny';
const study = model === 'fc' || model === 'cnn';
const config: TrainConfig =
  model === 'fc'
    ? { ...DEFAULT_CONFIG, evalEvery: 0 }
    : model === 'cnn'
      ? { ...DEFAULT_CONFIG, ...CNN_DEFAULTS, evalEvery: 0 }
      : { ...DEFAULT_CONFIG, batch: 8, hidden: [16, 16, 16], iterations: 100, evalEvery: 0 };
const steps = Number(process.env.N ?? (study ? 300 : 1000));
const data = study ? loadEmbedded().train : null;

type Mode = 'full' | 'no-dawn' | 'ops-only';

/** µs per dispatch: the median step for the study's nets, the mean for the tiny one. */
async function usPerDispatch(mode: Mode): Promise<number> {
  const net = modelOfLayers(layersOf(config), config.dropout, config.seed);
  const adam = adamFor(net, config);
  const batches = data ? batchesFor(data, config.batch, config.seed, 10, 'device') : null;
  const x = new Float32Array(config.batch * 784).fill(0.5);
  const t = new Float32Array(config.batch * 10);
  const step = (it: number) =>
    tidy(() => {
      const b = batches?.next() ?? { x, t };
      trainStep(net, adam, config, b.x, b.t, it, false);
    });
  for (let it = 1; it <= 3; it++) {
    step(it);
    backend().runner.flush();
  }
  await backend().runner.sync();
  const r = backend().runner as unknown as Record<string, unknown>;
  const saved = { dispatch: r.dispatch, begin: r.begin };
  const fake = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups() {}, end() {} };
  const stub = () => {
    if (mode === 'ops-only')
      r.dispatch = function (this: { dispatches: number }) {
        this.dispatches++;
      };
    if (mode === 'no-dawn')
      r.begin = () => {
        (saved.begin as () => unknown).call(backend().runner);
        return fake;
      };
  };
  stub();
  const stepMs: number[] = [];
  const d0 = backend().runner.dispatches;
  for (let it = 4; it < 4 + steps; it++) {
    if (!study && it % 20 === 0) {
      // Every 20 steps the real runner submits what was encoded (and pays the per-submit cost untimed).
      Object.assign(r, saved);
      await backend().runner.sync();
      backend().runner.emptySubmit();
      stub();
    }
    const t0 = performance.now();
    step(it);
    stepMs.push(performance.now() - t0);
    if (study) backend().runner.discard();
  }
  const perStep = (backend().runner.dispatches - d0) / steps;
  Object.assign(r, saved);
  await backend().runner.sync();
  adam.dispose();
  net.dispose();
  batches?.dispose();
  const ms = study ? median(stepMs) : stepMs.reduce((a, b) => a + b, 0) / steps;
  return (1000 * ms) / perStep;
}

/** µs per call of dawn.node's pass calls, 2,000 dispatches of a trivial kernel, median of 7. */
function nativeCalls(): Record<string, number> {
  const { device } = backend().gpu;
  const module = device.createShaderModule({
    code: `struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { if (g.x < u.n) { x[g.x] += 1.0; } }`,
  });
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipelines = [0, 1].map(() =>
    device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint: 'main' } }),
  );
  const uniform = device.createBuffer({ size: 256 * 2048, usage: GPUBufferUsage.UNIFORM });
  const buffers = [0, 1, 2, 3].map(() => device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE }));
  const groups = buffers.map((buffer) =>
    device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer } },
        { binding: 1, resource: { buffer: uniform, size: 256 } },
      ],
    }),
  );
  const offset = [0];
  const n = 2000;
  const time = (body: (p: GPUComputePassEncoder, i: number) => void): number => {
    const us: number[] = [];
    for (let rep = 0; rep < 7; rep++) {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipelines[0]); // untimed: what a lone dispatch needs bound
      pass.setBindGroup(0, groups[0], offset);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) body(pass, i);
      us.push((1000 * (performance.now() - t0)) / n);
      pass.end();
      encoder.finish();
    }
    return median(us);
  };
  const result = {
    setPipeline: time((p, i) => p.setPipeline(pipelines[i & 1])),
    setBindGroupDynamicOffset: time((p, i) => {
      offset[0] = (i & 2047) * 256;
      p.setBindGroup(0, groups[i & 3], offset);
    }),
    dispatchWorkgroups: time((p, i) => p.dispatchWorkgroups(1 + (i & 7))),
    allThree: time((p, i) => {
      p.setPipeline(pipelines[i & 1]);
      offset[0] = (i & 2047) * 256;
      p.setBindGroup(0, groups[i & 3], offset);
      p.dispatchWorkgroups(1 + (i & 7));
    }),
  };
  uniform.destroy();
  for (const b of buffers) b.destroy();
  return result;
}

// Alternated twice, so that a change in machine load hits every mode alike; best of the two.
const runs: Record<Mode, number[]> = { full: [], 'no-dawn': [], 'ops-only': [] };
for (let rep = 0; rep < 2; rep++)
  for (const mode of ['full', 'no-dawn', 'ops-only'] as const) runs[mode].push(await usPerDispatch(mode));
const best = (m: Mode) => Math.min(...runs[m]);
console.log(
  JSON.stringify(
    {
      model,
      adapter: backend().gpu.adapter.description,
      steps,
      usPerDispatch: { full: best('full'), noDawn: best('no-dawn'), opsOnly: best('ops-only') },
      runs,
      opJs: best('ops-only'),
      runner: best('no-dawn') - best('ops-only'),
      dawnAndGc: best('full') - best('no-dawn'),
      nativeCallsTightLoopUs: nativeCalls(),
    },
    null,
    1,
  ),
);
process.exit(0);
