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

/** Runs fn with the model's parameters frozen (no weight gradients), restoring them after fn (or its promise) ends. */
export function withFrozen<T>(model: { parameters(): Tensor[] }, fn: () => T): T {
  const params = model.parameters();
  const frozen = params.map((p) => p.requiresGrad);
  for (const p of params) p.requiresGrad = false;
  const restore = () => params.forEach((p, i) => (p.requiresGrad = frozen[i]));
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
