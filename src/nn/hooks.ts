import type { Tensor } from '../tensor/tensor.js';
import type { ForwardOptions, Module } from './module.js';

/** What runs around a module's forward: given the module, its input and the forward itself. */
export type ForwardAround = (m: Module, x: Tensor, run: () => Tensor) => Tensor;

/**
 * Runs fn with every forward of `modules` going through `around` (PyTorch's forward hooks,
 * scoped to one call): how traces see whole layers and how activation pruning sees a layer's
 * input, on any Module, whatever its own forward does. The modules are left as they were.
 */
export function withForwardHooks<T>(modules: Module[], around: ForwardAround, fn: () => T): T {
  const wrapped: Module[] = [];
  try {
    for (const m of new Set(modules)) {
      const original = m.forward;
      wrapped.push(m);
      hooked.add(m);
      Object.defineProperty(m, 'forward', {
        configurable: true,
        writable: true,
        value: (x: Tensor, o?: ForwardOptions) => around(m, x, () => original.call(m, x, o)),
      });
    }
    return fn();
  } finally {
    for (const m of wrapped) {
      delete (m as unknown as Record<string, unknown>).forward;
      hooked.delete(m);
    }
  }
}

const hooked = new WeakSet<Module>();

/** Whether a module's forward is hooked now (a fused fast path must then call it). */
export const isHooked = (m: Module): boolean => hooked.has(m);
