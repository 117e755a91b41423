import { DeviceError } from './errors';

/** What a result file needs to say about where it ran. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: 'node' | 'browser';
  features: string[];
  limits: {
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxBufferSize: number;
  };
}

export interface Gpu {
  device: GPUDevice;
  adapter: AdapterReport;
  hasTimestamps: boolean;
  hasSubgroups: boolean;
  /** Smallest and largest subgroup the adapter may run (0 where it does not say). */
  subgroupSizes: { min: number; max: number };
  /**
   * The smallest subgroup a compute pipeline of 64 invocations really ran with, where the
   * adapter says its subgroups may be under 8 lanes (Dawn on Metal says 4); null where not probed.
   */
  probedSubgroupSize: number | null;
  /** Set once the device is lost; every later dispatch throws it instead of hanging. */
  lostReason: string | null;
  /** The first WebGPU error nobody captured: work after it may not have run, so later reads throw it. */
  uncapturedError: string | null;
}

let current: Gpu | null = null;
// dawn.node tears the instance down (and aborts the process mid-work) once the object from
// create() is garbage collected: hold it for the life of the process.
let _navigatorGpu: GPU | null = null;
let pending: Promise<Gpu> | null = null;

async function findNavigatorGpu(): Promise<{ gpu: GPU; backend: 'node' | 'browser' }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, backend: 'browser' };
  if (typeof process !== 'undefined' && process.versions?.node) {
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // Mesa warns without it
    const mod = (await import('webgpu')) as unknown as { create: (o: string[]) => GPU; globals: object };
    Object.assign(globalThis, mod.globals);
    return { gpu: mod.create([]), backend: 'node' };
  }
  throw new DeviceError(
    'no WebGPU: this browser has no navigator.gpu (try Chrome/Edge 113+, or chromium --enable-unsafe-webgpu)',
  );
}

async function openGpu(): Promise<Gpu> {
  const { gpu, backend } = await findNavigatorGpu();
  _navigatorGpu = gpu;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new DeviceError(
      'no WebGPU adapter found. On Linux without a GPU install a Vulkan driver: `bash scripts/setup.sh` ' +
        '(Mesa lavapipe from bookworm-backports); in a browser enable WebGPU.',
    );
  }
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const info = adapter.info;
  const g: Gpu = {
    device,
    hasTimestamps: requiredFeatures.includes('timestamp-query'),
    hasSubgroups: requiredFeatures.includes('subgroups'),
    subgroupSizes: subgroupSizesOf(info),
    probedSubgroupSize: null,
    lostReason: null,
    uncapturedError: null,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend,
      features: [...adapter.features].sort(),
      limits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxBufferSize: l.maxBufferSize,
      },
    },
  };
  if (g.hasSubgroups && g.subgroupSizes.min < 8) g.probedSubgroupSize = await probeSubgroupSize(device);
  device.lost.then((lost) => {
    g.lostReason = `${lost.reason}: ${lost.message}`;
    if (lost.reason !== 'destroyed') console.error(`sparsegrad: WebGPU device lost (${g.lostReason})`);
  });
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    console.error(`sparsegrad: WebGPU error: ${e.message}`);
    g.uncapturedError ??= e.message.split('\n')[0];
  });
  return g;
}

/** Runs 64 invocations that each write their subgroup_size; the smallest seen. */
export async function probeSubgroupSize(device: GPUDevice): Promise<number> {
  const code = `enable subgroups;
@group(0) @binding(0) var<storage, read_write> out: array<u32, 64>;
@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32, @builtin(subgroup_size) n: u32) { out[i] = n; }`;
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  });
  const out = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }],
    }),
  );
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, 256);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const sizes = new Uint32Array(read.getMappedRange().slice(0));
  read.destroy();
  out.destroy();
  return Math.min(...sizes);
}

function subgroupSizesOf(info: GPUAdapterInfo): { min: number; max: number } {
  const i = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return { min: i.subgroupMinSize ?? 0, max: i.subgroupMaxSize ?? 0 };
}

/** The one device of this process, opened on first use. */
export async function initGpu(): Promise<Gpu> {
  if (current) return current;
  pending ??= openGpu().then((g) => (current = g));
  return pending;
}

export function gpu(): Gpu {
  if (!current) throw new DeviceError('GPU not initialised: await initGpu() first');
  if (current.lostReason) throw new DeviceError(`WebGPU device was lost (${current.lostReason}); restart the run`);
  if (current.uncapturedError)
    throw new DeviceError(
      `WebGPU reported an error, so results after it cannot be trusted: ${current.uncapturedError}`,
    );
  return current;
}

/** Lets a Node process exit: drops the device and the dawn.node instance. */
export function releaseGpu(): void {
  current?.device.destroy();
  current = null;
  pending = null;
  _navigatorGpu = null;
}

/**
 * The most bytes one tensor may hold: every tensor is bound whole as a storage buffer. Read from
 * the adapter report, whose limits the device was requested with (a plain object, where each
 * read of device.limits is a native call).
 */
export function bindingLimit(): number {
  const { maxStorageBufferBindingSize, maxBufferSize } = gpu().adapter.limits;
  return Math.min(maxStorageBufferBindingSize, maxBufferSize);
}

export function adapterName(a: AdapterReport): string {
  return [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' / ') || 'unknown adapter';
}
