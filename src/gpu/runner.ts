import { checkedDevice, type Gpu } from './device.js';
import type { Pipeline, PipelineCache } from './pipelines.js';
import type { BufferPool } from './buffers.js';
import { DeviceError } from '../util/errors.js';

/**
 * A dispatch's uniforms by the names of the kernel's uniform struct (its one declaration):
 * numbers for scalars, arrays for vectors; each is written with the field's WGSL type.
 * Fields named pad… may be left out (0).
 */
export type Uniforms = Readonly<Record<string, number | readonly number[]>>;

const SLOT = 256; // minUniformBufferOffsetAlignment
const SLOTS = 2048;
const PROFILE_SLOTS = 512; // dispatches per query set while profiling

/** While profiling: one query set per submit, each dispatch timed in its own pass. */
interface ProfileBatch {
  querySet: GPUQuerySet;
  labels: string[];
  readback?: GPUBuffer;
}

/** GPU time per kernel (pipeline label) over a profiled stretch of work. */
export interface KernelTime {
  kernel: string;
  ms: number;
  dispatches: number;
}

/**
 * Encodes dispatches into one command buffer and submits them together: on lavapipe a submit
 * round trip costs ~2x a dispatch, so a training step is one submit.
 */
export class Runner {
  constructor(
    private readonly g: Gpu,
    pool: BufferPool,
    private readonly pipelines: PipelineCache,
  ) {
    this.bindGroups = new BindGroupCache(g, pool);
  }
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformBuffer: GPUBuffer | null = null;
  private uniformHost = new ArrayBuffer(SLOT * SLOTS);
  // Views over the uniform staging memory, made once: packing a dispatch allocates nothing.
  private uniformU32 = new Uint32Array(this.uniformHost);
  private uniformF32 = new Float32Array(this.uniformHost);
  private uniformI32 = new Int32Array(this.uniformHost);
  private dynamicOffset = [0];
  private lastPass: GPUComputePassEncoder | null = null;
  private lastPipeline: Pipeline | null = null;
  private slot = 0;
  private profiling: { done: ProfileBatch[]; current: ProfileBatch | null } | null = null;
  private bindGroups: BindGroupCache;
  private resolvedToFree: GPUBuffer[] = [];
  private stagingFree: GPUBuffer[] = [];
  dispatches = 0;
  /**
   * Bind groups are cached per layout and buffers (the pool hands a step the same buffers
   * each time). Off only for the dispatch-overhead benchmark, which times both.
   */
  cacheBindGroups = true;
  /** Bind groups created so far (tests check that steady work creates none). */
  get bindGroupsCreated(): number {
    return this.bindGroups.created;
  }

  /**
   * Times every dispatch from here to stopProfile() with timestamp queries, each in its own
   * compute pass (which adds a little per-dispatch overhead). For finding where time goes,
   * not for hot loops.
   */
  startProfile(): void {
    if (!this.g.hasTimestamps)
      throw new DeviceError('profiling needs the adapter feature timestamp-query, which this adapter lacks');
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
    p.current ??= {
      querySet: checkedDevice(this.g).createQuerySet({ type: 'timestamp', count: 2 * PROFILE_SLOTS }),
      labels: [],
    };
    const i = p.current.labels.push(label) - 1;
    return this.begin({
      querySet: p.current.querySet,
      beginningOfPassWriteIndex: 2 * i,
      endOfPassWriteIndex: 2 * i + 1,
    });
  }

  /** Resolves the current query set into a buffer that stopProfile() reads. */
  private resolveProfile(): void {
    const b = this.profiling?.current;
    if (!b || !this.encoder) return;
    const device = checkedDevice(this.g);
    const bytes = 16 * b.labels.length;
    const resolved = device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    b.readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.pass?.end();
    this.pass = null;
    this.encoder.resolveQuerySet(b.querySet, 0, 2 * b.labels.length, resolved, 0);
    this.encoder.copyBufferToBuffer(resolved, 0, b.readback, 0, bytes);
    this.profiling!.done.push(b);
    this.profiling!.current = null;
    this.resolvedToFree.push(resolved);
  }

  private begin(timestampWrites?: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    const device = checkedDevice(this.g);
    this.uniformBuffer ??= device.createBuffer({
      size: SLOT * SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.encoder ??= device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    return this.pass;
  }

  /**
   * GPU time in ms of the work `encode` records, from timestamp queries around one compute
   * pass; null where the adapter lacks 'timestamp-query'. For benchmarks, not hot loops.
   */
  async timeGpu(encode: () => void): Promise<number | null> {
    const g = this.g;
    if (!g.hasTimestamps) return null;
    checkedDevice(g);
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

  dispatch(
    pipeline: Pipeline,
    buffers: GPUBuffer[],
    uniforms: Uniforms | null,
    workgroups: [number, number?, number?],
  ): void {
    if (buffers.length !== pipeline.storageBindings || (uniforms !== null) !== pipeline.hasUniforms) {
      throw new DeviceError(
        `${pipeline.label}: dispatched with ${buffers.length} buffers${uniforms ? ' and uniforms' : ''}; the kernel binds ${pipeline.storageBindings}${pipeline.hasUniforms ? ' and uniforms' : ''}`,
      );
    }
    const [x, y = 1, z = 1] = workgroups;
    const max = 65535;
    if (x > max || y > max || z > max)
      throw new DeviceError(`dispatch of ${x}x${y}x${z} workgroups exceeds ${max} per dimension`);
    if (this.slot === SLOTS || this.profiling?.current?.labels.length === PROFILE_SLOTS) this.flush();
    const pass = this.profiling ? this.profiledPass(pipeline.label || 'unlabelled') : this.begin();
    const uniform = pipeline.hasUniforms ? this.uniformBuffer! : null;
    const bindGroup = this.cacheBindGroups
      ? this.bindGroups.get(pipeline.layout, buffers, uniform)
      : this.bindGroups.create(pipeline.layout, buffers, uniform);
    if (pass !== this.lastPass || pipeline !== this.lastPipeline) pass.setPipeline(pipeline.gpu); // a native call saved where a pipeline repeats
    this.lastPass = pass;
    this.lastPipeline = pipeline;
    if (uniform) {
      this.packUniforms(pipeline, uniforms!, (this.slot * SLOT) / 4);
      this.dynamicOffset[0] = this.slot * SLOT;
      pass.setBindGroup(0, bindGroup, this.dynamicOffset);
      this.slot++;
    } else {
      pass.setBindGroup(0, bindGroup);
    }
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
    if (this.profiling) {
      pass.end();
      this.pass = null;
    }
  }

  private packUniforms(pipeline: Pipeline, values: Uniforms, at: number): void {
    const fields = pipeline.uniformFields;
    let given = 0;
    for (const f of fields) {
      const v = values[f.name];
      if (v === undefined) {
        if (f.name.startsWith('pad')) continue;
        throw new DeviceError(`${pipeline.label}: uniform ${f.name} (${f.type}) not given`);
      }
      given++;
      const view = f.type === 'f32' ? this.uniformF32 : f.type === 'i32' ? this.uniformI32 : this.uniformU32;
      if (f.count === 1) {
        if (typeof v !== 'number')
          throw new DeviceError(`${pipeline.label}: uniform ${f.name} is a ${f.type}, given a list`);
        view[at + f.offset] = v;
        continue;
      }
      if (typeof v === 'number' || v.length !== f.count)
        throw new DeviceError(
          `${pipeline.label}: uniform ${f.name} holds ${f.count} ${f.type}s, given ${JSON.stringify(v)}`,
        );
      for (let k = 0; k < f.count; k++) view[at + f.offset + k] = v[k];
    }
    let keys = 0;
    for (const _ in values) keys++;
    if (given !== keys) {
      const unknown = Object.keys(values).filter((k) => !fields.some((f) => f.name === k));
      throw new DeviceError(
        `${pipeline.label}: no uniform ${unknown.join(', ')} (its uniforms: ${fields.map((f) => f.name).join(', ')})`,
      );
    }
  }

  /** Copies between buffers are encoded in order with the dispatches. */
  copy(src: GPUBuffer, dst: GPUBuffer, byteSize: number, srcOffset = 0, dstOffset = 0): void {
    this.begin();
    this.pass!.end();
    this.pass = null;
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, byteSize);
  }

  /**
   * Submits an empty pass (after flushing what is encoded): the driver's once-per-submit cost
   * falls on the first pass begun after a submit, so the overhead benchmark pays it here.
   */
  emptySubmit(): void {
    this.flush();
    this.begin();
    this.flush();
  }

  /**
   * Drops what is encoded and not yet submitted: the overhead benchmark times encoding apart
   * from running it. Queue writes already made (uploads) still land.
   */
  discard(): void {
    if (this.profiling) throw new DeviceError('discard: not while profiling');
    if (!this.encoder) return;
    this.pass?.end();
    this.encoder.finish();
    this.encoder = null;
    this.pass = null;
    this.slot = 0;
  }

  /** Submits everything encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    const device = checkedDevice(this.g);
    this.resolveProfile();
    this.pass?.end();
    if (this.slot) device.queue.writeBuffer(this.uniformBuffer!, 0, this.uniformHost, 0, this.slot * SLOT);
    device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    this.slot = 0;
    // Resolve buffers are only needed until the submitted copies run; destroy() waits for that.
    while (this.resolvedToFree.length) this.resolvedToFree.pop()!.destroy();
  }

  /** Waits for all submitted work; throws a compile error or device loss instead of hanging. */
  async sync(): Promise<void> {
    this.flush();
    await this.pipelines.check();
    await this.g.device.queue.onSubmittedWorkDone();
    checkedDevice(this.g);
  }

  async read(buffer: GPUBuffer, byteSize: number, byteOffset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(byteSize / 4) * 4;
    const staging = this.acquireStaging(size);
    this.begin();
    this.pass!.end();
    this.pass = null;
    this.encoder!.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    this.flush();
    await this.pipelines.check();
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    checkedDevice(this.g);
    const out = staging.getMappedRange(0, size).slice(0, byteSize);
    staging.unmap();
    this.releaseStaging(staging);
    return out;
  }

  private acquireStaging(size: number): GPUBuffer {
    const i = this.stagingFree.findIndex((b) => b.size >= size);
    if (i >= 0) return this.stagingFree.splice(i, 1)[0];
    return checkedDevice(this.g).createBuffer({
      size: Math.max(size, 256),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  private releaseStaging(b: GPUBuffer): void {
    this.stagingFree.push(b);
    if (this.stagingFree.length > 8) this.stagingFree.shift()!.destroy();
  }

  /** Destroys what the runner itself made (uniforms, staging): the device goes with the backend. */
  destroy(): void {
    this.discard();
    this.uniformBuffer?.destroy();
    this.uniformBuffer = null;
    for (const b of this.stagingFree.splice(0)) b.destroy();
  }
}

/**
 * Bind groups by layout, then by each buffer in binding order (a tree of Maps: no key strings
 * to build). Emptied when the pool destroys buffers or the device changes; capped, since a
 * long sweep may see many buffer combinations once each.
 */
class BindGroupCache {
  constructor(
    private readonly g: Gpu,
    private readonly pool: BufferPool,
  ) {}
  private root = new Map<GPUBindGroupLayout, BindNode>();
  private poolGeneration = -1;
  private entries = 0;
  created = 0;

  get(layout: GPUBindGroupLayout, buffers: GPUBuffer[], uniform: GPUBuffer | null): GPUBindGroup {
    if (this.pool.generation !== this.poolGeneration || this.entries >= MAX_BIND_GROUPS) {
      this.root.clear();
      this.entries = 0;
      this.poolGeneration = this.pool.generation;
    }
    let node: BindNode | undefined = this.root.get(layout);
    if (!node) this.root.set(layout, (node = { next: new Map() }));
    for (const b of buffers) {
      let next: BindNode | undefined = node.next.get(b);
      if (!next) node.next.set(b, (next = { next: new Map() }));
      node = next;
    }
    if (!node.group) {
      node.group = this.create(layout, buffers, uniform);
      this.entries++;
    }
    return node.group;
  }

  create(layout: GPUBindGroupLayout, buffers: GPUBuffer[], uniform: GPUBuffer | null): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
    // One binding covers every slot: the dispatch picks its slot with a dynamic offset.
    if (uniform) entries.push({ binding: buffers.length, resource: { buffer: uniform, offset: 0, size: SLOT } });
    this.created++;
    return checkedDevice(this.g).createBindGroup({ layout, entries });
  }
}
interface BindNode {
  next: Map<GPUBuffer, BindNode>;
  group?: GPUBindGroup;
}
const MAX_BIND_GROUPS = 16384;
