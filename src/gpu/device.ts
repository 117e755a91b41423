import { DeviceError } from '../util/errors.js';

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

/** One opened device and what the kernels need to know of it. */
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
  /**
   * The entry point the device came from, held as long as the device: dawn.node tears its
   * instance down (and aborts the process mid-work) once that object is garbage collected.
   */
  entry: GPU | null;
}

/** How a backend gets its device: a navigator.gpu, an adapter, or a device the page already has. */
export interface DeviceOptions {
  /** A navigator.gpu-like entry point (default: globalThis.navigator.gpu). */
  gpu?: GPU;
  /** An adapter already requested; the device is requested from it. */
  adapter?: GPUAdapter;
  /** A device the application already has (a page that renders with it), used as it is. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
}

/** The browser's WebGPU entry point, or a clear error where there is none. */
export function navigatorGpu(): GPU {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  throw new DeviceError(
    "no WebGPU: this environment has no navigator.gpu (in a browser try Chrome/Edge 113+, or chromium --enable-unsafe-webgpu; in Node, sparsegrad's Node build loads the webgpu package)",
  );
}

/** Opens (or adopts) a device and reads what result files need to say about it. */
export async function openGpu(opts: DeviceOptions = {}, backend: 'node' | 'browser' = 'browser'): Promise<Gpu> {
  const entry = opts.device || opts.adapter ? (opts.gpu ?? null) : (opts.gpu ?? navigatorGpu());
  const adapter =
    opts.adapter ??
    (opts.device ? null : await entry!.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' }));
  if (!adapter && !opts.device)
    throw new DeviceError(
      'no WebGPU adapter found. On Linux without a GPU install a Vulkan driver: `bash scripts/setup.sh` ' +
        '(Mesa lavapipe from bookworm-backports); in a browser enable WebGPU.',
    );
  const device = opts.device ?? (await requestDevice(adapter!));
  // A device passed in: its own limits are what the kernels may use.
  const l = opts.device ? device.limits : adapter!.limits;
  const info = adapter?.info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const g: Gpu = {
    device,
    hasTimestamps: device.features.has('timestamp-query'),
    hasSubgroups: device.features.has('subgroups'),
    subgroupSizes: info ? subgroupSizesOf(info) : { min: 0, max: 0 },
    probedSubgroupSize: null,
    lostReason: null,
    uncapturedError: null,
    entry,
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      backend,
      features: [...(adapter?.features ?? device.features)].sort(),
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

async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'];
  const l = adapter.limits;
  return adapter.requestDevice({
    requiredFeatures: wanted.filter((f) => adapter.features.has(f)),
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

/** The device, after checking that it still works: a lost device or an uncaptured error throws here. */
export function checkedDevice(g: Gpu): GPUDevice {
  if (g.lostReason) throw new DeviceError(`WebGPU device was lost (${g.lostReason}); restart the run`);
  if (g.uncapturedError)
    throw new DeviceError(`WebGPU reported an error, so results after it cannot be trusted: ${g.uncapturedError}`);
  return g.device;
}

/**
 * The most bytes one tensor may hold: every tensor is bound whole as a storage buffer. Read from
 * the adapter report, whose limits the device was requested with (a plain object, where each
 * read of device.limits is a native call).
 */
export function bindingLimit(g: Gpu): number {
  const { maxStorageBufferBindingSize, maxBufferSize } = g.adapter.limits;
  return Math.min(maxStorageBufferBindingSize, maxBufferSize);
}

export function adapterName(a: AdapterReport): string {
  return [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' / ') || 'unknown adapter';
}
