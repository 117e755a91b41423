import type { Tuner } from './tuner.js';
import { SparsegradError } from '../util/errors.js';

/**
 * Which family of kernels the ops use. 'subgroup' kernels share loaded values between the
 * lanes of a subgroup (subgroupBroadcast) and need subgroups of at least 8 lanes; 'plain'
 * kernels run on any adapter.
 */
export type KernelPath = 'subgroup' | 'plain';

/**
 * A kernel choice an op offers, declared in the op's own file (kernelKnob): its name and its
 * variants. gpu/ names no op's choices; it keeps the pins and refuses one no op declared.
 */
export interface KernelKnob<V extends string = string> {
  readonly name: string;
  /** The variants, as messages and tuning list them. */
  readonly variants: readonly V[];
  /** Whether a pinned variant is one (default: listed); a family of variants (tiled-k<n>) says so here. */
  readonly accepts: (variant: string) => boolean;
}

const knobs = new Map<string, KernelKnob>();

/** Declares an op's kernel choice (once per name, at the op module's load). */
export function kernelKnob<V extends string>(
  name: string,
  variants: readonly V[],
  accepts: (variant: string) => boolean = (v) => (variants as readonly string[]).includes(v),
): KernelKnob<V> {
  if (knobs.has(name)) throw new SparsegradError(`kernel choice "${name}" is declared twice`);
  const knob = Object.freeze({ name, variants: Object.freeze([...variants]), accepts });
  knobs.set(name, knob);
  return knob;
}

/** The kernel choices the ops declare, by name (for messages and the CLI). */
export const kernelKnobs = (): KernelKnob[] => [...knobs.values()];

/** Pinned variants by kernel choice: tests and benchmarks run each variant, `train --kernels <name>` forces one. */
export type KernelPins = Record<string, string>;

export const NO_PINS: Readonly<KernelPins> = Object.freeze({});

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

  /** Pins each named choice to a variant (null: free again); an undeclared choice or variant is refused by name. */
  pin(pins: Record<string, string | null>): void {
    for (const [name, variant] of Object.entries(pins)) {
      const knob = knobs.get(name);
      if (!knob)
        throw new SparsegradError(
          `kernels.pin: no kernel choice "${name}" (declared: ${[...knobs.keys()].join(', ')})`,
        );
      if (variant !== null && !knob.accepts(variant))
        throw new SparsegradError(`kernels.pin: ${name} has no variant "${variant}" (${knob.variants.join(', ')})`);
    }
    for (const [name, variant] of Object.entries(pins)) {
      if (variant === null) delete this.pins[name];
      else this.pins[name] = variant;
    }
  }

  /** The pinned variant of a choice, or null (tuned or by rule). */
  pinnedVariant<V extends string>(knob: KernelKnob<V>): V | null {
    return (this.pins[knob.name] as V | undefined) ?? null;
  }

  /** Runs fn with these pins, then puts the previous ones back (also when fn throws). */
  async pinned<T>(pins: Record<string, string | null>, fn: () => T | Promise<T>): Promise<T> {
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
