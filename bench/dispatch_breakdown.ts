// Where the CPU time of a dispatch goes (docs/gpu-readiness.md): a tiny FC net (16-wide layers,
// so that encoding is all that costs) encodes 1,000 training steps three ways —
//   full: as it runs; no-dawn: the runner's work but a stand-in for dawn.node's pass calls;
//   ops-only: runner.dispatch itself stubbed out (only our op-level JavaScript is left).
// node scripts/build.mjs breakdown bench/dispatch_breakdown.ts && node dist/breakdown.js
import { initGpu } from '../src/gpu/device';
import { adamFor, trainStep } from '../src/nn/train';
import { DEFAULT_CONFIG, layersOf } from '../src/nn/config';
import { Net } from '../src/nn/net';
import { tidy } from '../src/tensor/tensor';
import { runner } from '../src/gpu/runner';

await initGpu();
const config = { ...DEFAULT_CONFIG, batch: 8, hidden: [16, 16, 16], iterations: 100, evalEvery: 0 };
const steps = Number(process.env.N ?? 1000);

async function usPerDispatch(mode: 'full' | 'no-dawn' | 'ops-only'): Promise<number> {
  const net = Net.init(layersOf(config), config.keep, config.seed);
  const adam = adamFor(net, config);
  const x = new Float32Array(config.batch * 784).fill(0.5);
  const t = new Float32Array(config.batch * 10);
  const step = (it: number) =>
    tidy(() => {
      trainStep(net, adam, config, x, t, it, false);
    });
  for (let it = 1; it <= 3; it++) {
    step(it);
    runner.flush();
  }
  await runner.sync();
  const r = runner as unknown as Record<string, unknown>;
  const saved = { dispatch: r.dispatch, begin: r.begin };
  const fake = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups() {}, end() {} };
  const stub = () => {
    if (mode === 'ops-only')
      r.dispatch = function (this: { dispatches: number }) {
        this.dispatches++;
      };
    if (mode === 'no-dawn')
      r.begin = () => {
        (saved.begin as () => unknown).call(runner);
        return fake;
      };
  };
  stub();
  let ms = 0;
  const d0 = runner.dispatches;
  for (let it = 4; it < 4 + steps; it++) {
    if (it % 20 === 0) {
      // Every 20 steps the real runner submits what was encoded (and pays the per-submit cost untimed).
      Object.assign(r, saved);
      await runner.sync();
      runner.emptySubmit();
      stub();
    }
    const t0 = performance.now();
    step(it);
    ms += performance.now() - t0;
  }
  const n = runner.dispatches - d0;
  Object.assign(r, saved);
  await runner.sync();
  adam.dispose();
  net.dispose();
  return (1000 * ms) / n;
}

const full = await usPerDispatch('full');
const noDawn = await usPerDispatch('no-dawn');
const opsOnly = await usPerDispatch('ops-only');
console.log(
  JSON.stringify(
    { usPerDispatch: { full, noDawn, opsOnly }, opJs: opsOnly, runner: noDawn - opsOnly, dawnAndGc: full - noDawn },
    null,
    1,
  ),
);
process.exit(0);
