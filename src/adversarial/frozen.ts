import { Tensor, tidy } from '../tensor/tensor.js';
import type { Classifier } from '../nn/evaluate.js';

/** Something whose weights can be frozen: attacks optimise the input alone. */
export interface FrozenClassifier extends Classifier {
  params: { tensor: Tensor }[];
}

/** The model's outputs per example (its classes), from the shape of one forward pass on a blank input. */
export function outputClasses(model: Classifier, pixels: number): number {
  return tidy(() => model.forward(Tensor.zeros([1, pixels], false, model.backend), { train: false }).shape[1]);
}

/** Runs fn with the model's parameters frozen (no weight gradients), restoring them after. */
export async function withFrozen<T>(model: FrozenClassifier, fn: () => Promise<T>): Promise<T> {
  const frozen = model.params.map((p) => p.tensor.requiresGrad);
  model.params.forEach((p) => (p.tensor.requiresGrad = false));
  try {
    return await fn();
  } finally {
    model.params.forEach((p, i) => (p.tensor.requiresGrad = frozen[i]));
  }
}
