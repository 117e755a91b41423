import type { Tuner } from './tuner.js';

/**
 * Which family of kernels the ops use. 'subgroup' kernels share loaded values between the
 * lanes of a subgroup (subgroupBroadcast) and need subgroups of at least 8 lanes; 'plain'
 * kernels run on any adapter.
 */
export type KernelPath = 'subgroup' | 'plain';

/** Choices a caller pins: tests and benchmarks run each variant, `train --kernels <name>` forces one. */
export interface KernelPins {
  /** The kernel family (null: by adapter). */
  path: KernelPath | null;
  /** Every product on this matmul kernel where it can run it (null: tuned or by rule). */
  matmul: string | null;
  /** The subgroup matmul on its scalar-load kernel only. */
  scalarMatmulLoads: boolean;
  /** Elementwise ops one element per invocation. */
  scalarElementwise: boolean;
  /** spmm reads x one float at a time whatever its width. */
  scalarSpmmX: boolean;
  /** The axis-reduction kernel (null: tuned or by size). */
  reduce: 'columns' | 'tree' | null;
  /** The CSR mapping: a thread per row and column block, or Sputnik's staged rows (null: tuned or the rule). */
  spmm: 'rows' | 'staged' | null;
}

export const NO_PINS: Readonly<KernelPins> = Object.freeze({
  path: null,
  matmul: null,
  scalarMatmulLoads: false,
  scalarElementwise: false,
  scalarSpmmX: false,
  reduce: null,
  spmm: null,
});

/**
 * How the ops choose their kernels, in one object: a pinned choice first, else the tuner's
 * measured winner for the shape's bucket, else the fixed rules. While `recording` is set, ops
 * add their shapes to it (one training step is recorded, then every shape measured:
 * src/ops/tune-ops.ts). The engine's Backend holds one; nothing else keeps kernel state.
 */
export class KernelChoices {
  pins: KernelPins = { ...NO_PINS };
  tuner: Tuner | null = null;
  recording: Set<string> | null = null;

  pin(pins: Partial<KernelPins>): void {
    Object.assign(this.pins, pins);
  }

  /** Runs fn with these pins, then puts the previous ones back (also when fn throws). */
  async pinned<T>(pins: Partial<KernelPins>, fn: () => T | Promise<T>): Promise<T> {
    const before = { ...this.pins };
    this.pin(pins);
    try {
      return await fn();
    } finally {
      this.pins = before;
    }
  }

  /** Back to choosing freely: no pins, no tuner, nothing recorded. */
  reset(): void {
    this.pins = { ...NO_PINS };
    this.tuner = null;
    this.recording = null;
  }
}
