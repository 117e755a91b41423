/// <reference lib="dom" preserve="true" />
// sparsegrad's library: the engine (device, tensors, autograd, ops) and the research tool on it
// (models, training, attacks, pruning). Runs in browsers and in Node; `sparsegrad/node` adds
// what needs the file system (data sets, checkpoint files).
export * from './gpu/errors.js';
export { adapterName, type AdapterReport, type Gpu, type DeviceOptions } from './gpu/device.js';
export { Backend, createBackend, type BackendOptions, type MemoryReport } from './gpu/backend.js';
export { initGpu } from './gpu/init.js';
export { defaultBackend, releaseDefaultBackend as releaseGpu } from './gpu/default-backend.js';
export type { KernelPins, KernelPath } from './gpu/choices.js';
export { Tensor, tidy, tidyAsync, backward } from './tensor/tensor.js';
export * from './ops/index.js';

export {
  Net,
  fcLayers,
  cnnLayers,
  describeLayers,
  convOutputShape,
  type LayerSpec,
  type ConvSpec,
  type Traceable,
} from './nn/net.js';
export {
  Sequential,
  nn,
  moduleFromJson,
  sequentialToSafetensors,
  sequentialFromSafetensors,
  type Module,
  type ModuleJson,
} from './nn/modules.js';
export {
  DEFAULT_CONFIG,
  CNN_DEFAULTS,
  STUDY_CONV,
  layersOf,
  withDataShape,
  validateConfig,
  type TrainConfig,
  type LossName,
} from './nn/config.js';
export {
  trainModel,
  trainStep,
  adamFor,
  type Trainable,
  type TrainResult,
  type TrainOptions,
  type TrainProgress,
} from './nn/train.js';
export { batchesFor, type Batches, type BatchSource } from './nn/batches.js';
export { tuneForTraining } from './nn/tune.js';
export { accuracy, predict, type Classifier } from './nn/evaluate.js';
export { modelToSafetensors, modelFromSafetensors } from './nn/checkpoint.js';
export { loadModelBytes, modelToBytes, type Model } from './nn/model.js';
export { studyFcModel, studyCnnModel, studyModelConfig, type ModelConfig } from './nn/study-models.js';
export { encodeSafetensors, decodeSafetensors, type NamedArray } from './io/safetensors.js';
export { embeddedSplit, fetchEmbedded } from './data/embedded.js';
export {
  take,
  skip,
  holdOut,
  oneHot,
  fromIdx,
  classCount,
  splitClasses,
  type Dataset,
  type Split,
} from './data/dataset.js';

export {
  fgsm,
  pgd,
  pgdAttack,
  pgdImages,
  attackName,
  type PgdSettings,
  type AttackResult,
  type AttackLoss,
} from './adversarial/pgd.js';
export {
  makeNoise,
  DEFAULT_NOISE,
  UNIVERSAL_RECIPES,
  meanAbs,
  collapsed,
  type NoiseSettings,
} from './adversarial/noise.js';
export { robustness, type NoiseVector, type Robustness } from './adversarial/evaluate.js';
export {
  Pruner,
  PRUNE_METHODS,
  parseScope,
  scopeName,
  type PruneMethod,
  type PruneScope,
  type PruneSettings,
} from './prune/prune.js';
export { layerInputStats, calibrationIndices, type InputStats } from './prune/stats.js';
export { meanCi95 } from './metrics/interval.js';
