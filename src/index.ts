// sparsegrad's library: the engine (device, tensors, autograd, ops) and the research tool on it
// (models, training, attacks, pruning). Runs in browsers and in Node; `sparsegrad/node` adds
// what needs the file system (data sets, checkpoint files).
export * from './gpu/errors';
export { initGpu, gpu, releaseGpu, adapterName, type AdapterReport, type Gpu } from './gpu/device';
export { bufferPool } from './gpu/buffers';
export { pipelineStats, checkShaders } from './gpu/pipelines';
export { runner } from './gpu/runner';
export { Backend, backend } from './gpu/backend';
export { KernelChoices, NO_PINS, type KernelPins, type KernelPath } from './gpu/choices';
export { kernelChoices } from './gpu/tuning';
export { Tuner, MemoryTuneStore, type TuneStore, type TuneRecord, type GpuTimer } from './gpu/tuner';
export { Tensor, tidy, tidyAsync, backward, poison } from './tensor/tensor';
export * from './ops/index';

export {
  Net,
  fcLayers,
  cnnLayers,
  describeLayers,
  convOutputShape,
  type LayerSpec,
  type ConvSpec,
  type Traceable,
} from './nn/net';
export {
  Sequential,
  nn,
  moduleFromJson,
  sequentialToSafetensors,
  sequentialFromSafetensors,
  type Module,
  type ModuleJson,
} from './nn/modules';
export {
  DEFAULT_CONFIG,
  CNN_DEFAULTS,
  STUDY_CONV,
  layersOf,
  withDataShape,
  validateConfig,
  type TrainConfig,
  type LossName,
} from './nn/config';
export {
  trainModel,
  trainStep,
  adamFor,
  type Trainable,
  type TrainResult,
  type TrainOptions,
  type TrainProgress,
} from './nn/train';
export { batchesFor, type Batches, type BatchSource } from './nn/batches';
export { tuneForTraining } from './nn/tune';
export { accuracy, predict, type Classifier } from './nn/evaluate';
export { modelToSafetensors, modelFromSafetensors } from './nn/checkpoint';
export { loadModelBytes, modelToBytes, type Model } from './nn/model';
export { studyFcModel, studyCnnModel, studyModelConfig, type ModelConfig } from './nn/study-models';
export { encodeSafetensors, decodeSafetensors, type NamedArray } from './io/safetensors';
export { embeddedSplit } from './data/embedded';
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
} from './data/dataset';

export {
  fgsm,
  pgd,
  pgdAttack,
  pgdImages,
  attackName,
  type PgdSettings,
  type AttackResult,
  type AttackLoss,
} from './adversarial/pgd';
export {
  makeNoise,
  DEFAULT_NOISE,
  UNIVERSAL_RECIPES,
  meanAbs,
  collapsed,
  type NoiseSettings,
} from './adversarial/noise';
export { robustness, type NoiseVector, type Robustness } from './adversarial/evaluate';
export {
  Pruner,
  PRUNE_METHODS,
  parseScope,
  scopeName,
  type PruneMethod,
  type PruneScope,
  type PruneSettings,
} from './prune/prune';
export { layerInputStats, calibrationIndices, type InputStats } from './prune/stats';
export { meanCi95 } from './metrics/interval';
