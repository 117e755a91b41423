import { Tensor, backward, tidy } from '../tensor/tensor';
import { add } from '../ops/elementwise';
import { l2Penalty, quadraticLoss, softmaxCrossEntropy } from '../ops/composite';
import { runner } from '../gpu/runner';
import { bufferPool } from '../gpu/buffers';
import { oneHot, type Dataset, type Split } from '../data/dataset';
import { validateConfig, type TrainConfig } from './config';
import { FcNet } from './fc';
import { Adam } from './adam';
import { accuracy } from './evaluate';
import { permutation, seededRandom } from './random';

export interface TrainProgress { iteration: number; loss: number | null; testAccuracy?: number; pooledBytes: number; elapsedMs: number }

export interface TrainResult {
  model: FcNet;
  config: TrainConfig;
  metrics: { testAccuracy: number; trainMs: number; iterationsPerSecond: number; history: { iteration: number; loss: number | null; testAccuracy?: number }[]; pooledBytes: { iteration: number; bytes: number }[] };
}

/** Draws mini-batches from a seeded permutation, epoch after epoch. */
class BatchSampler {
  private order: Uint32Array;
  private at = 0;
  private random: () => number;
  private x: Float32Array;
  private t: Float32Array;
  constructor(private data: Dataset, private batch: number, seed: number) {
    this.random = seededRandom(seed ^ 0x9e3779b9);
    this.order = permutation(data.count, this.random);
    this.x = new Float32Array(batch * data.pixels);
    this.t = new Float32Array(batch * 10);
  }
  next(): { x: Float32Array; t: Float32Array } {
    const { data, batch } = this;
    this.t.fill(0);
    for (let b = 0; b < batch; b++) {
      if (this.at === this.order.length) { this.order = permutation(data.count, this.random); this.at = 0; }
      const i = this.order[this.at++];
      this.x.set(data.images.subarray(i * data.pixels, (i + 1) * data.pixels), b * data.pixels);
      this.t[b * 10 + data.labels[i]] = 1;
    }
    return { x: this.x, t: this.t };
  }
}

export function lossOf(config: TrainConfig, y: Tensor, targets: Tensor, weights: Tensor[]): Tensor {
  const data = config.loss === 'quadratic' ? quadraticLoss(y, targets) : softmaxCrossEntropy(y, targets);
  return config.l2 > 0 ? add(data, l2Penalty(weights, config.l2)) : data;
}

/**
 * Trains an FC net. Each step is one submit with no readback; the loss is read every
 * `logEvery` steps (which also keeps the CPU from running far ahead of the GPU).
 */
export async function trainModel(
  config: TrainConfig,
  data: Split,
  onProgress: (p: TrainProgress) => void = () => {},
  logEvery = 20,
  model?: FcNet,
): Promise<TrainResult> {
  validateConfig(config);
  const net = model ?? FcNet.init([784, ...config.hidden, 10], config.keep, config.seed);
  const params = net.params.map((p) => p.tensor);
  const adam = new Adam(params, config);
  const sampler = new BatchSampler(data.train, config.batch, config.seed);
  const history: TrainResult['metrics']['history'] = [];
  const pooled: TrainResult['metrics']['pooledBytes'] = [];
  const t0 = performance.now();
  let evalMs = 0;
  for (let it = 1; it <= config.iterations; it++) {
    const { x, t } = sampler.next();
    const wantLoss = it % logEvery === 0 || it === config.iterations;
    const lossTensor = tidy(() => {
      const xs = Tensor.fromArray(x, [config.batch, 784]);
      const ts = Tensor.fromArray(t, [config.batch, 10]);
      const y = net.forward(xs, { train: true, dropoutSeed: config.seed, step: it });
      const loss = lossOf(config, y, ts, net.weights);
      backward(loss);
      adam.update();
      return wantLoss ? loss : null;
    });
    runner.flush();
    let lossValue: number | null = null;
    if (lossTensor) {
      lossValue = (await lossTensor.read())[0];
      lossTensor.dispose();
    }
    let testAccuracy: number | undefined;
    if ((config.evalEvery > 0 && it % config.evalEvery === 0) || it === config.iterations) {
      const e0 = performance.now();
      testAccuracy = await accuracy(net, data.test);
      evalMs += performance.now() - e0;
    }
    if (lossValue !== null || testAccuracy !== undefined) history.push({ iteration: it, loss: lossValue, testAccuracy });
    if (it === 100 || it === config.iterations || it % 500 === 0) pooled.push({ iteration: it, bytes: bufferPool.pooledBytes });
    onProgress({ iteration: it, loss: lossValue, testAccuracy, pooledBytes: bufferPool.pooledBytes, elapsedMs: performance.now() - t0 });
  }
  adam.dispose();
  const trainMs = performance.now() - t0 - evalMs;
  const testAccuracy = history.length ? history[history.length - 1].testAccuracy ?? (await accuracy(net, data.test)) : await accuracy(net, data.test);
  return { model: net, config, metrics: { testAccuracy, trainMs, iterationsPerSecond: config.iterations / (trainMs / 1000), history, pooledBytes: pooled } };
}
