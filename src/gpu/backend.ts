import { bufferPool, type BufferPool } from './buffers';
import type { KernelChoices } from './choices';
import { gpu, type Gpu } from './device';
import { pipelineCache, type PipelineCache } from './pipelines';
import { runner, type Runner } from './runner';
import { kernelChoices } from './tuning';

/**
 * The engine's state, in one object: the device, the buffer pool (a step reuses the same
 * buffers), the pipeline cache, the runner that encodes and submits dispatches, and the kernel
 * choices (pins, tuner). Ops read this one; tests and applications reach everything through it
 * (`backend.kernels.pin({ path: 'plain' })`, `backend.pool.inUseBytes`) instead of
 * module-level switches.
 */
export class Backend {
  constructor(
    readonly pool: BufferPool,
    readonly pipelines: PipelineCache,
    readonly runner: Runner,
    readonly kernels: KernelChoices,
  ) {}

  /** The device (after initGpu). */
  get gpu(): Gpu {
    return gpu();
  }
}

export const backend = new Backend(bufferPool, pipelineCache, runner, kernelChoices);
