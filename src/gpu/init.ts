import { createBackend, type Backend, type BackendOptions } from './backend.js';
import { ensureDefaultBackend } from './default-backend.js';

/**
 * The default backend (what tensors made without naming a backend live on), opened on first
 * use on navigator.gpu: a convenience for scripts and pages that need one device.
 */
export function initGpu(opts: BackendOptions = {}): Promise<Backend> {
  return ensureDefaultBackend(() => createBackend(opts));
}
