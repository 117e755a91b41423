import { gpu } from './device';
import { checkShaders } from './pipelines';
import { DeviceError } from './errors';

/** Uniform values: plain numbers are u32, f32(x) marks a float, i32(x) a signed int. */
export type Uniform = number | { f32: number } | { i32: number };
export const f32 = (x: number): Uniform => ({ f32: x });
export const i32 = (x: number): Uniform => ({ i32: x });

const SLOT = 256; // minUniformBufferOffsetAlignment
const SLOTS = 2048;
const PROFILE_SLOTS = 512; // dispatches per query set while profiling

/** While profiling: one query set per submit, each dispatch timed in its own pass. */
interface ProfileBatch { querySet: GPUQuerySet; labels: string[]; readback?: GPUBuffer }

/** GPU time per kernel (pipeline label) over a profiled stretch of work. */
export interface KernelTime { kernel: string; ms: number; dispatches: number }

/**
 * Encodes dispatches into one command buffer and submits them together: on lavapipe a submit
 * round trip costs ~2x a dispatch, so a training step is one submit.
 */
class Runner {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformBuffer: GPUBuffer | null = null;
  private uniformHost = new ArrayBuffer(SLOT * SLOTS);
  private slot = 0;
  private profiling: { done: ProfileBatch[]; current: ProfileBatch | null } | null = null;
  dispatches = 0;

  /**
   * Times every dispatch from here to stopProfile() with timestamp queries, each in its own
   * compute pass (which adds a little per-dispatch overhead). For finding where time goes,
   * not for hot loops.
   */
  startProfile(): void {
    if (!gpu().hasTimestamps) throw new DeviceError('profiling needs the adapter feature timestamp-query, which this adapter lacks');
    this.flush();
    this.profiling = { done: [], current: null };
  }

  /** GPU ms per kernel since startProfile(), largest first. */
  async stopProfile(): Promise<KernelTime[]> {
    if (!this.profiling) throw new DeviceError('stopProfile: no profile was started');
    await this.sync();
    const { done } = this.profiling;
    this.profiling = null;
    const totals = new Map<string, KernelTime>();
    for (const b of done) {
      await b.readback!.mapAsync(GPUMapMode.READ);
      const ticks = new BigUint64Array(b.readback!.getMappedRange().slice(0));
      b.labels.forEach((kernel, i) => {
        const t = totals.get(kernel) ?? { kernel, ms: 0, dispatches: 0 };
        t.ms += Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6;
        t.dispatches++;
        totals.set(kernel, t);
      });
      b.readback!.destroy();
      b.querySet.destroy();
    }
    return [...totals.values()].sort((p, q) => q.ms - p.ms);
  }

  /** While profiling: the pass for one dispatch, with timestamps around it. */
  private profiledPass(label: string): GPUComputePassEncoder {
    const p = this.profiling!;
    this.pass?.end();
    this.pass = null;
    p.current ??= { querySet: gpu().device.createQuerySet({ type: 'timestamp', count: 2 * PROFILE_SLOTS }), labels: [] };
    const i = p.current.labels.push(label) - 1;
    return this.begin({ querySet: p.current.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 });
  }

  /** Resolves the current query set into a buffer that stopProfile() reads. */
  private resolveProfile(): void {
    const b = this.profiling?.current;
    if (!b || !this.encoder) return;
    const { device } = gpu();
    const bytes = 16 * b.labels.length;
    const resolved = device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    b.readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.pass?.end();
    this.pass = null;
    this.encoder.resolveQuerySet(b.querySet, 0, 2 * b.labels.length, resolved, 0);
    this.encoder.copyBufferToBuffer(resolved, 0, b.readback, 0, bytes);
    this.profiling!.done.push(b);
    this.profiling!.current = null;
    resolvedToFree.push(resolved);
  }

  private begin(timestampWrites?: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    const { device } = gpu();
    this.uniformBuffer ??= device.createBuffer({ size: SLOT * SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.encoder ??= device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    return this.pass;
  }

  /**
   * GPU time in ms of the work `encode` records, from timestamp queries around one compute
   * pass; null where the adapter lacks 'timestamp-query'. For benchmarks, not hot loops.
   */
  async timeGpu(encode: () => void): Promise<number | null> {
    const g = gpu();
    if (!g.hasTimestamps) return null;
    this.flush();
    const querySet = g.device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolved = g.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.begin({ querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
    if (this.slot + 64 > SLOTS) throw new DeviceError('timeGpu: too many dispatches for one timed pass');
    encode();
    if (!this.pass || !this.encoder) throw new DeviceError('timeGpu: the timed work was split across submits');
    this.pass.end();
    this.pass = null;
    this.encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
    const ticks = new BigUint64Array(await this.read(resolved, 16));
    querySet.destroy();
    resolved.destroy();
    return Number(ticks[1] - ticks[0]) / 1e6;
  }

  dispatch(pipeline: GPUComputePipeline, buffers: GPUBuffer[], uniforms: Uniform[], workgroups: [number, number?, number?]): void {
    if (this.slot === SLOTS || this.profiling?.current?.labels.length === PROFILE_SLOTS) this.flush();
    const pass = this.profiling ? this.profiledPass(pipeline.label || 'unlabelled') : this.begin();
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
    if (uniforms.length) {
      packUniforms(uniforms, new DataView(this.uniformHost, this.slot * SLOT, SLOT));
      entries.push({ binding: buffers.length, resource: { buffer: this.uniformBuffer!, offset: this.slot * SLOT, size: Math.ceil((uniforms.length * 4) / 16) * 16 } });
      this.slot++;
    }
    const bindGroup = gpu().device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = workgroups;
    const max = 65535;
    if (x > max || y > max || z > max) throw new DeviceError(`dispatch of ${x}x${y}x${z} workgroups exceeds ${max} per dimension`);
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
    if (this.profiling) {
      pass.end();
      this.pass = null;
    }
  }

  /** Copies between buffers are encoded in order with the dispatches. */
  copy(src: GPUBuffer, dst: GPUBuffer, byteSize: number, srcOffset = 0, dstOffset = 0): void {
    this.begin();
    this.pass!.end();
    this.pass = null;
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, byteSize);
  }

  /** Submits everything encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    const { device } = gpu();
    this.resolveProfile();
    this.pass?.end();
    if (this.slot) device.queue.writeBuffer(this.uniformBuffer!, 0, this.uniformHost, 0, this.slot * SLOT);
    device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    this.slot = 0;
    // Resolve buffers are only needed until the submitted copies run; destroy() waits for that.
    while (resolvedToFree.length) resolvedToFree.pop()!.destroy();
  }

  /** Waits for all submitted work; throws a compile error or device loss instead of hanging. */
  async sync(): Promise<void> {
    this.flush();
    await checkShaders();
    await gpu().device.queue.onSubmittedWorkDone();
    gpu();
  }

  async read(buffer: GPUBuffer, byteSize: number, byteOffset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(byteSize / 4) * 4;
    const staging = acquireStaging(size);
    this.begin();
    this.pass!.end();
    this.pass = null;
    this.encoder!.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    this.flush();
    await checkShaders();
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    gpu();
    const out = staging.getMappedRange(0, size).slice(0, byteSize);
    staging.unmap();
    releaseStaging(staging);
    return out;
  }
}

const resolvedToFree: GPUBuffer[] = [];
const stagingFree: GPUBuffer[] = [];
function acquireStaging(size: number): GPUBuffer {
  const i = stagingFree.findIndex((b) => b.size >= size);
  if (i >= 0) return stagingFree.splice(i, 1)[0];
  return gpu().device.createBuffer({ size: Math.max(size, 256), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
}
function releaseStaging(b: GPUBuffer): void {
  stagingFree.push(b);
  if (stagingFree.length > 8) stagingFree.shift()!.destroy();
}

function packUniforms(values: Uniform[], view: DataView): void {
  values.forEach((v, i) => {
    if (typeof v === 'number') view.setUint32(i * 4, v, true);
    else if ('f32' in v) view.setFloat32(i * 4, v.f32, true);
    else view.setInt32(i * 4, v.i32, true);
  });
}

export const runner = new Runner();
