import { Tensor, backward, tidy } from '../tensor/tensor.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { add } from '../ops/elementwise.js';
import { l2Penalty, quadraticLoss, softmaxCrossEntropy, type Targets } from '../ops/composite.js';
import { ConfigError, DivergenceError } from '../util/errors.js';
import { splitClasses, type Split } from '../data/dataset.js';
import { learningRateAt, validateConfig, type TrainConfig } from './config.js';
import type { ForwardOptions, Param } from './layer-spec.js';
import { Sequential } from './modules.js';
import { studyModel, studyModelConfig } from './study-models.js';
import { Adam, type AdamState } from './adam.js';
import { accuracy } from './evaluate.js';
import { batchesFor, type BatchSource } from './batches.js';
import type { Dataset } from '../data/dataset.js';

export interface TrainProgress {
  iteration: number;
  loss: number | null;
  testAccuracy?: number;
  /** Adversarial training: PGD accuracy on the held-out batch at this evaluation. */
  robustAccuracy?: number;
  pooledBytes: number;
  elapsedMs: number;
}

/** What training needs of a model (a Sequential, the study's nets included, is one). */
export interface Trainable {
  /** The backend its parameters live on: batches and optimiser state go there too. */
  readonly backend: Backend;
  readonly params: Param[];
  readonly weights: Tensor[];
  parameters(): Tensor[];
  forward(x: Tensor, opts: ForwardOptions): Tensor;
  dispose(): void;
}

export interface TrainResult<M extends Trainable = Sequential> {
  model: M;
  config: TrainConfig;
  metrics: {
    testAccuracy: number;
    trainMs: number;
    iterationsPerSecond: number;
    history: { iteration: number; loss: number | null; testAccuracy?: number; robustAccuracy?: number }[];
    pooledBytes: { iteration: number; bytes: number }[];
    /** Where the batches were assembled (see BatchSource). */
    batchesOn: 'device' | 'host';
    /**
     * Adversarial training: the first evaluation whose held-out PGD accuracy fell more than 20
     * points below the best before it (catastrophic overfitting), or null.
     */
    catastrophicOverfitting?: { iteration: number; robustAccuracy: number; best: number } | null;
  };
}

/**
 * The config with the data's image shape and classes recorded (the study's FC/CNN take both
 * from the data); a config that names others is refused, naming both.
 */
export function fitToData(config: TrainConfig, data: Split): TrainConfig {
  if (config.batch > data.train.count)
    throw new ConfigError(
      `batch ${config.batch} is larger than the ${data.train.count} training images of ${data.name}; use --batch ≤ ${data.train.count}`,
    );
  if (data.test.count === 0) throw new ConfigError(`${data.test.source}: no test images to evaluate on`);
  if (config.model) {
    const want = config.model.input;
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    if (Array.isArray(want) && size(want) !== size(data.train.shape))
      throw new ConfigError(
        `${data.train.source}: images are ${data.train.shape.join('x')}, but the model config takes ${want.join('x')} (its "input")`,
      );
    return config;
  }
  const shape = [...data.train.shape],
    classes = splitClasses(data, config.classes);
  if (config.input && config.input.join('x') !== shape.join('x'))
    throw new ConfigError(
      `${data.train.source}: images are ${shape.join('x')}, but the model takes ${config.input.join('x')} (channels x height x width)`,
    );
  if (config.classes !== undefined && config.classes < classes)
    throw new ConfigError(`${data.train.source}: labels 0–${classes - 1}, but the model has ${config.classes} outputs`);
  return { ...config, input: shape, classes: config.classes ?? classes };
}

/** The data term of the loss; the L2 term's gradient is added inside the Adam update. */
export function dataLoss(config: TrainConfig, y: Tensor, targets: Targets): Tensor {
  return config.loss === 'quadratic' ? quadraticLoss(y, targets) : softmaxCrossEntropy(y, targets);
}

/**
 * What a step trains on, where it is not the batch itself (adversarial training:
 * `adversarialTraining` in sparsegrad/research): the batch of each step, a robust accuracy
 * recorded at each evaluation, and a verdict on the run's history.
 */
export interface BatchHook<M = Trainable> {
  batch(net: M, x: Tensor, t: Targets, iteration: number): Tensor;
  evaluate?(net: M, test: Dataset): Promise<number>;
  overfitting?(history: TrainResult['metrics']['history']): TrainResult['metrics']['catastrophicOverfitting'];
}

export interface TrainOptions<M extends Trainable = Sequential> {
  /** Required when the config trains adversarially: the hook that makes its batches. */
  batchHook?: BatchHook<M>;
  onProgress?: (p: TrainProgress) => void;
  /** Read the loss every this many steps (a readback; it also keeps the CPU from racing ahead). */
  logEvery?: number;
  /** Continue an interrupted run: weights, optimiser state and the iteration reached. */
  resume?: TrainState<M>;
  /** Called after each evaluation with the state to save; the run resumes from it. */
  onCheckpoint?: (state: TrainState<M>) => Promise<void>;
  /** Start from this model instead of a fresh FC/CNN init (fine-tuning, or any nn model); ignored when resuming. */
  init?: M;
  /** Where a fresh model is made (default: the default backend); a model given as init or resume brings its own. */
  backend?: Backend;
  /** Train under pruning masks, one per parameter (null: unmasked): pruned weights stay exactly 0. */
  masks?: (Tensor | null)[];
  /** Where batches are assembled: the training set held on the GPU, or copied per step (default auto). */
  batches?: BatchSource;
  /** Called after step `iteration` with the model (e.g. to keep the weights to rewind to). */
  afterStep?: (iteration: number, net: M) => Promise<void>;
}

/** Everything needed to continue a run exactly where it stopped. */
export interface TrainState<M extends Trainable = Sequential> {
  iteration: number;
  model: M;
  adam: AdamState;
  history: TrainResult['metrics']['history'];
  pooledBytes: TrainResult['metrics']['pooledBytes'];
  trainMs: number;
}

/** The optimiser of a training run. L2 on weights, not biases: its gradient λ·w is folded into the Adam kernel. */
export function adamFor(net: Trainable, config: TrainConfig): Adam {
  return new Adam(
    net.params.map((p) => p.tensor),
    config,
    net.params.map((p) => (net.weights.includes(p.tensor) ? config.l2 : 0)),
  );
}

/**
 * One training step (forward, backward, Adam) on a batch, encoded but not submitted; call
 * inside tidy(). Returns the loss tensor when `wantLoss`, including λ·½Σw² (computed before
 * the update, only when it is read), else null.
 */
export function trainStep(
  net: Trainable,
  adam: Adam,
  config: TrainConfig,
  x: Float32Array | Tensor,
  t: Float32Array | Tensor,
  it: number,
  wantLoss: boolean,
): Tensor | null {
  const be = net.backend;
  const xs = x instanceof Tensor ? x : Tensor.fromArray(x, [config.batch, x.length / config.batch], false, be);
  const ts = t instanceof Tensor ? t : Tensor.fromArray(t, [config.batch, t.length / config.batch], false, be);
  const y = net.forward(xs, { train: true, dropoutSeed: config.seed, step: it });
  const loss = dataLoss(config, y, ts);
  backward(loss);
  const reported = wantLoss ? (config.l2 > 0 ? add(loss, l2Penalty(net.weights, config.l2)) : loss) : null;
  adam.update(learningRateAt(config, it));
  return reported;
}

/**
 * Trains an FC net. Each step is one submit with no readback except the loss every
 * `logEvery` steps. Batches and dropout masks depend only on (seed, iteration), so a resumed
 * run draws the same batches as an uninterrupted one.
 */
export async function trainModel<M extends Trainable = Sequential>(
  config: TrainConfig,
  data: Split,
  opts: TrainOptions<M> = {},
): Promise<TrainResult<M>> {
  config = fitToData(validateConfig(config), data);
  const { onProgress = () => {}, logEvery = 20, resume, onCheckpoint } = opts;
  const hook = opts.batchHook;
  if (config.adversarial && !hook)
    throw new ConfigError(
      'trainModel: the config trains adversarially; pass options.batchHook = adversarialTraining(config.adversarial, loss, config.seed) (sparsegrad/research)',
    );
  const net = (resume?.model ?? opts.init ?? studyModel(config, opts.backend ?? defaultBackend())) as M;
  const be = net.backend;
  const adam = adamFor(net, config);
  if (resume) adam.load(resume.adam);
  if (opts.masks) adam.setMasks(opts.masks);
  const batches = batchesFor(data.train, config.batch, config.seed, config.classes, opts.batches, be);
  const startIt = resume?.iteration ?? 0;
  for (let it = 1; it <= startIt; it++) batches.skip();
  const history = resume?.history ?? [];
  const pooled = resume?.pooledBytes ?? [];
  let trainMs = resume?.trainMs ?? 0;
  let segmentStart = performance.now();
  try {
    for (let it = startIt + 1; it <= config.iterations; it++) {
      const wantLoss = it % logEvery === 0 || it === config.iterations;
      const lossTensor = tidy(() => {
        const { x, t } = batches.next();
        return trainStep(net, adam, config, hook ? hook.batch(net, x, t, it) : x, t, it, wantLoss);
      });
      be.runner.flush();
      if (opts.afterStep) await opts.afterStep(it, net);
      let lossValue: number | null = null;
      if (lossTensor) {
        lossValue = (await lossTensor.read())[0];
        lossTensor.dispose();
        if (!Number.isFinite(lossValue))
          throw new DivergenceError(
            `training diverged: the loss is ${lossValue} at iteration ${it} (lr ${learningRateAt(config, it)}); stopped, the last checkpoint before it kept`,
          );
      }
      let testAccuracy: number | undefined;
      let robustAccuracy: number | undefined;
      const evaluate = (config.evalEvery > 0 && it % config.evalEvery === 0) || it === config.iterations;
      if (evaluate) {
        await be.runner.sync();
        trainMs += performance.now() - segmentStart;
        testAccuracy = await accuracy(net, data.test);
        if (hook?.evaluate) robustAccuracy = await hook.evaluate(net, data.test);
      }
      if (lossValue !== null || testAccuracy !== undefined)
        history.push({
          iteration: it,
          loss: lossValue,
          testAccuracy,
          ...(robustAccuracy !== undefined && { robustAccuracy }),
        });
      if (it === 100 || it === config.iterations || it % 500 === 0)
        pooled.push({ iteration: it, bytes: be.pool.pooledBytes });
      if (evaluate) {
        await checkFiniteParams(net, it);
        if (onCheckpoint)
          await onCheckpoint({
            iteration: it,
            model: net,
            adam: await adam.save(),
            history,
            pooledBytes: pooled,
            trainMs,
          });
        segmentStart = performance.now();
      }
      onProgress({
        iteration: it,
        loss: lossValue,
        testAccuracy,
        robustAccuracy,
        pooledBytes: be.pool.pooledBytes,
        elapsedMs: trainMs + performance.now() - segmentStart,
      });
    }
  } finally {
    batches.dispose(); // the training set held on the GPU, even when a step throws
  }
  adam.dispose();
  const last = history[history.length - 1];
  const testAccuracy = last?.testAccuracy ?? (await accuracy(net, data.test));
  return {
    model: net,
    config: configOfModel(config, net),
    metrics: {
      testAccuracy,
      trainMs,
      iterationsPerSecond: trainMs > 0 ? config.iterations / (trainMs / 1000) : 0,
      history,
      pooledBytes: pooled,
      batchesOn: batches.where,
      ...(hook?.overfitting && { catastrophicOverfitting: hook.overfitting(history) }),
    },
  };
}

/**
 * The config that describes the model trained: the run's, where the model is the study's net
 * it names, else with the model's own layers (`model`), input shape and classes, so a CNN
 * passed as `init` is not reported as the default FC net.
 */
export function configOfModel(config: TrainConfig, model: Trainable): TrainConfig {
  if (config.model || !(model instanceof Sequential) || !model.inputShape) return config;
  const own = model.modelJson();
  if (JSON.stringify(own) === JSON.stringify(studyModelConfig(config))) return config;
  return { ...config, model: own, input: [...own.input], classes: model.classes };
}

/** Refuses weights that are no longer finite (a diverged run): they are never checkpointed or returned. */
async function checkFiniteParams(model: Trainable, it: number): Promise<void> {
  for (const p of model.params) {
    const values = await p.tensor.read();
    let bad = 0;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
    if (bad)
      throw new DivergenceError(
        `training diverged: ${bad} of ${values.length} values of ${p.name} are NaN or ±Inf at iteration ${it}; stopped, the last checkpoint before it kept`,
      );
  }
}
