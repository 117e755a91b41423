// Node only: WebGPU from the webgpu package (Dawn's node bindings). The browser build never
// imports this file, so bundlers for the web never meet dawn.node or node: modules.
import { Backend, type BackendOptions } from './backend.js';
import { ensureDefaultBackend } from './default-backend.js';
import { openGpu } from './device.js';

// One Dawn instance per process, made on first use and then only read.
let entry: Promise<GPU> | null = null;

async function loadDawn(): Promise<GPU> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // Mesa warns without it
  const mod = (await import('webgpu')) as unknown as { create: (o: string[]) => GPU; globals: object };
  Object.assign(globalThis, mod.globals);
  return mod.create([]);
}

/** A backend in Node: on the webgpu package's adapter unless you pass a gpu, adapter or device. */
export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const own = opts.gpu || opts.adapter || opts.device;
  const gpu = own ? opts.gpu : await (entry ??= loadDawn());
  return new Backend(await openGpu({ ...opts, ...(gpu && { gpu }) }, 'node'));
}

/** The default backend in Node (see initGpu in the browser build). */
export function initGpu(opts: BackendOptions = {}): Promise<Backend> {
  return ensureDefaultBackend(() => createBackend(opts));
}
