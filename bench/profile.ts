import { adamFor, trainStep } from '../src/nn/train';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf, type TrainConfig } from '../src/nn/config';
import type { KernelTime } from '../src/gpu/runner';
import { tidy } from '../src/tensor/tensor';
import { seededRandom } from '../src/nn/random';
import { printTable } from './common';
import { defaultBackend as backend } from '../src/gpu/default-backend';
import { modelOfLayers } from '../src/nn/study-models';

/** GPU time per kernel over `steps` training steps (after one untimed step), per step. */
async function profileSteps(
  config: TrainConfig,
  steps: number,
): Promise<{ kernels: (KernelTime & { msPerStep: number; share: number })[]; gpuMsPerStep: number }> {
  const net = modelOfLayers(layersOf(config), config.dropout, config.seed);
  const adam = adamFor(net, config);
  const random = seededRandom(5);
  const x = Float32Array.from({ length: config.batch * 784 }, () => random());
  const t = Float32Array.from({ length: config.batch * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
  const step = (it: number) =>
    tidy(() => {
      trainStep(net, adam, config, x, t, it, false);
    });
  step(1);
  await backend().runner.sync();
  backend().runner.startProfile();
  for (let it = 2; it < 2 + steps; it++) step(it);
  const times = await backend().runner.stopProfile();
  adam.dispose();
  net.dispose();
  const total = times.reduce((s, k) => s + k.ms, 0);
  return {
    kernels: times.map((k) => ({ ...k, msPerStep: k.ms / steps, share: k.ms / total })),
    gpuMsPerStep: total / steps,
  };
}

/** Where a training step's GPU time goes, kernel by kernel (timestamp queries around each dispatch). */
export async function benchProfile() {
  const results = [];
  for (const [model, config, steps] of [
    ['fc 784-1500-1000-800-10, quadratic', { ...DEFAULT_CONFIG }, 3],
    ['study cnn, quadratic', { ...DEFAULT_CONFIG, ...CNN_DEFAULTS }, 1],
  ] as [string, TrainConfig, number][]) {
    const p = await profileSteps(config, steps);
    printTable(
      `${model}, batch ${config.batch}: GPU time per step by kernel (${p.gpuMsPerStep.toFixed(0)} ms in all; each dispatch timed in its own pass)`,
      ['kernel', 'dispatches/step', 'ms/step', 'share'],
      p.kernels.map((k) => [k.kernel, k.dispatches / steps, k.msPerStep, `${(100 * k.share).toFixed(1)}%`]),
    );
    results.push({ model, batch: config.batch, steps, ...p });
  }
  return { results };
}
