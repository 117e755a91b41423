import { DeviceError } from '../util/errors.js';
import type { Backend, MemoryReport } from './backend.js';

// The backend that tensors made without naming one go to (set by initGpu). Private: read it
// with defaultBackend(); state a user can construct twice lives in Backend objects.
let current: Backend | null = null;
let pending: Promise<Backend> | null = null;

/** The default backend, made by initGpu(); a clear error before that. */
export function defaultBackend(): Backend {
  if (!current)
    throw new DeviceError('GPU not initialised: await initGpu() (or pass a backend made by createBackend())');
  return current;
}

/** The default backend if one was made, else null (for code that only reports). */
export function defaultBackendIfAny(): Backend | null {
  return current;
}

/** What the default backend holds: live tensors and bytes, the pool (see Backend.memory). */
export function memory(): MemoryReport {
  return defaultBackend().memory();
}

/** Makes the default backend once with `create` (later calls get the same one). */
export function ensureDefaultBackend(create: () => Promise<Backend>): Promise<Backend> {
  if (current) return Promise.resolve(current);
  pending ??= create().then(
    (b) => (current = b),
    (e) => {
      pending = null;
      throw e;
    },
  );
  return pending;
}

/** Destroys the default backend (a Node process can then exit); the next initGpu() makes a new one. */
export function releaseDefaultBackend(): void {
  current?.destroy();
  current = null;
  pending = null;
}
