import { BufferPool } from './buffers.js';
import { KernelChoices } from './choices.js';
import { checkedDevice, openGpu, type DeviceOptions, type Gpu } from './device.js';
import { PipelineCache, type Constants, type Pipeline } from './pipelines.js';
import { Runner } from './runner.js';

/** What `memory()` reports: tensors alive on this backend and the pool behind them. */
export interface MemoryReport {
  /** Tensors created and neither disposed nor collected (views not counted). */
  liveTensors: number;
  /** Bytes those tensors hold. */
  liveBytes: number;
  /** Bytes of every buffer the pool made and has not destroyed (in use + free). */
  pooledBytes: number;
  /** Buffers returned by the garbage-collection safety net (tensors dropped without dispose). */
  collected: number;
}

/**
 * The engine's state, in one object you can make twice: the device, the buffer pool (a step
 * reuses the same buffers), the pipeline cache, the runner that encodes and submits
 * dispatches, the kernel choices (pins, tuner) and profiling. Every tensor carries the
 * backend it lives on and every op runs on its inputs' backend, so two backends in one
 * process never share a buffer, a pipeline or a setting.
 */
export class Backend {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly runner: Runner;
  readonly kernels = new KernelChoices();
  /** Tests set this so every new output starts as NaN: an element a kernel fails to write shows. */
  poison = false;
  /** A matmul above this many FLOP is split into dispatches under it (a long one stalls some drivers). */
  readonly dispatchBudget = { flop: 8e9 };
  /** Measurements kept for the life of this backend (costs per layer shape): they are this adapter's. */
  readonly memo = new Map<string, unknown>();
  private live = { tensors: 0, bytes: 0, collected: 0 };
  // The safety net: a tensor dropped without dispose() gives its buffer back when collected.
  private readonly finalizer = new FinalizationRegistry<{ buffer: GPUBuffer; bytes: number }>((held) => {
    this.live.collected++;
    this.untrack(held.bytes);
    this.pool.release(held.buffer);
  });

  constructor(readonly gpu: Gpu) {
    this.pool = new BufferPool(gpu);
    this.pipelines = new PipelineCache(gpu);
    this.runner = new Runner(gpu, this.pool, this.pipelines);
  }

  /** The device, checked: a lost device or an uncaptured WebGPU error throws here. */
  get device(): GPUDevice {
    return checkedDevice(this.gpu);
  }

  /**
   * A compiled kernel. `name` is the shader's file under shaders/, followed by `:variant` where
   * the host extends the source (appended types or constants) — compile errors name
   * `shaders/<file>.wgsl:line`, profiles the whole label. `source` is the text, or a function
   * that builds it (called only on the first use of this name); `constants` fill the
   * source's `override` declarations.
   */
  pipeline(name: string, source: string | (() => string), constants: Constants = {}): Pipeline {
    return this.pipelines.get(name, source, constants);
  }

  /** Waits for every submitted dispatch; throws a compile error or device loss instead of hanging. */
  sync(): Promise<void> {
    return this.runner.sync();
  }

  /** Counts a tensor's buffer as live; `owner` (when given) returns it to the pool if collected undisposed. */
  track(owner: object | null, buffer: GPUBuffer, bytes: number): void {
    this.live.tensors++;
    this.live.bytes += bytes;
    if (owner) this.finalizer.register(owner, { buffer, bytes }, owner);
  }

  /** A tracked tensor was disposed: it no longer counts, and the safety net forgets it. */
  untrack(bytes: number, owner?: object): void {
    this.live.tensors--;
    this.live.bytes -= bytes;
    if (owner) this.finalizer.unregister(owner);
  }

  memory(): MemoryReport {
    return {
      liveTensors: this.live.tensors,
      liveBytes: this.live.bytes,
      pooledBytes: this.pool.pooledBytes,
      collected: this.live.collected,
    };
  }

  /** Destroys the device and everything on it; tensors of this backend are unusable after. */
  destroy(): void {
    this.runner.destroy();
    this.pool.trim();
    this.gpu.device.destroy();
  }
}

export interface BackendOptions extends DeviceOptions {}

/**
 * A backend on `navigator.gpu`, on an adapter you pass, or on a `GPUDevice` your page already
 * has. In Node, sparsegrad's Node build supplies the webgpu package's entry point.
 */
export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  return new Backend(await openGpu(opts));
}
