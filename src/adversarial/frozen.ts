import { Tensor, tidy } from '../tensor/tensor.js';
import type { Classifier } from '../nn/evaluate.js';

/** Something whose weights can be frozen: attacks optimise the input alone. */
export interface FrozenClassifier extends Classifier {
  /** Every parameter (a Module's): frozen while the input alone is optimised. */
  parameters(): Tensor[];
}

/** The model's outputs per example (its classes), from the shape of one forward pass on a blank input. */
export function outputClasses(model: Classifier, pixels: number): number {
  return tidy(() => model.forward(Tensor.zeros([1, pixels], false, model.backend), { train: false }).shape[1]);
}

/** Runs fn with the model's parameters frozen (no weight gradients), restoring them after. */
export async function withFrozen<T>(model: FrozenClassifier, fn: () => Promise<T>): Promise<T> {
  const params = model.parameters();
  const frozen = params.map((p) => p.requiresGrad);
  for (const p of params) p.requiresGrad = false;
  try {
    return await fn();
  } finally {
    params.forEach((p, i) => (p.requiresGrad = frozen[i]));
  }
}
