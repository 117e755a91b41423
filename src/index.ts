/// <reference lib="dom" preserve="true" />
// sparsegrad: the engine (backends, tensors, autograd, ops) and the model layer on it (modules,
// training, checkpoints, data). Runs in browsers and in Node, where the Node build adds what
// needs the file system. The study's research code (attacks, pruning, detection) is
// `sparsegrad/research`; kernel machinery is `sparsegrad/internals`.
export * from './util/errors.js';
export { adapterName, type AdapterReport, type Gpu, type DeviceOptions } from './gpu/device.js';
export { Backend, createBackend, type BackendOptions, type MemoryReport } from './gpu/backend.js';
export { initGpu } from './gpu/init.js';
export { defaultBackend, memory, releaseDefaultBackend as releaseGpu } from './gpu/default-backend.js';
export type { KernelPins, KernelPath } from './gpu/choices.js';
export { Tensor, tidy, tidyAsync, backward, type NestedNumbers } from './tensor/tensor.js';
export * from './ops/index.js';

export {
  fcLayers,
  cnnLayers,
  describeLayers,
  convOutputShape,
  type LayerSpec,
  type ConvSpec,
  type Traceable,
} from './nn/layer-spec.js';
export { Module, type ForwardOptions, type HostTensor, type ParamSource } from './nn/module.js';
export { Layer, Linear, Conv2d, Pool2d, Flatten, ReLU, Dropout, type ModuleJson } from './nn/layers.js';
export { registerLayer, type LayerType } from './nn/layer-types.js';
export {
  Sequential,
  nn,
  moduleFromJson,
  sequentialToSafetensors,
  sequentialFromSafetensors,
  type ModelJson,
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
export {
  batchesFor,
  DataLoader,
  type DataLoaderOptions,
  type Batches,
  type BatchSource,
} from './nn/batches.js';
export {
  Adam,
  SGD,
  LrSchedule,
  type Optimizer,
  type AdamSettings,
  type SgdSettings,
} from './nn/optim.js';
export { tuneForTraining } from './nn/tune.js';
export { accuracy, predict, type Classifier } from './nn/evaluate.js';
export { modelToSafetensors, modelFromSafetensors } from './nn/checkpoint.js';
export { loadModelBytes, modelToBytes, type Model } from './nn/model.js';
export {
  studyFcModel,
  studyCnnModel,
  studyModelConfig,
  studyModel,
  modelOfLayers,
  type ModelConfig,
} from './nn/study-models.js';
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
