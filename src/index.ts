export * from './gpu/errors';
export { initGpu, gpu, adapterName, type AdapterReport } from './gpu/device';
export { bufferPool } from './gpu/buffers';
export { pipelineStats, checkShaders } from './gpu/pipelines';
export { runner } from './gpu/runner';
export { Tensor, tidy, backward, poison } from './tensor/tensor';
export * from './ops/index';
