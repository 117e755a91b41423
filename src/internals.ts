/// <reference lib="dom" preserve="true" />
// sparsegrad/internals: the engine's machinery, for benchmarks, kernel work and tests. Not the
// user API: names here may change between minor versions.
export { BufferPool, roundSize } from './gpu/buffers.js';
export { PipelineCache, type Pipeline, type Constants } from './gpu/pipelines.js';
export { Runner, type Uniforms, type KernelTime } from './gpu/runner.js';
export { KernelChoices, NO_PINS } from './gpu/choices.js';
export { Tuner, MemoryTuneStore, type TuneStore, type TuneRecord, type GpuTimer } from './gpu/tuner.js';
export { openGpu, checkedDevice, bindingLimit, probeSubgroupSize } from './gpu/device.js';
export { kernelPath, subgroupPlan } from './gpu/kernel-path.js';
export { backendOf, accumulateGrad } from './tensor/tensor.js';
export { record } from './ops/kernel.js';
