import type { Tensor } from '../tensor/tensor.js';

/** Wires an op's output into the graph when any input needs a gradient. */
export function record(out: Tensor, inputs: Tensor[], backwardFn: (g: Tensor) => void): Tensor {
  if (inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.parents = inputs;
    out.backwardFn = backwardFn;
  }
  return out;
}
