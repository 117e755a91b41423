import type { Tuner } from './tuner';

/**
 * The engine's kernel-choice state: the tuner whose measured winners ops look up (null: the
 * fixed rules), and, while set, the set that ops add their shapes to (one training step is
 * recorded, then every shape measured: src/ops/tune-ops.ts).
 */
export const tuning = {
  tuner: null as Tuner | null,
  recording: null as Set<string> | null,
};

/** Records an op's shape for tuning (a JSON array: the op family, then its dimensions). */
export const recordShape = (entry: unknown[]): void => {
  tuning.recording?.add(JSON.stringify(entry));
};
