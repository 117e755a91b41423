import type { Shape } from '../tensor/shape.js';
import type { Backend } from '../gpu/backend.js';
import { kernelKnob } from '../gpu/choices.js';

/** Elementwise ops four elements per invocation where they can, or pinned to one (tests and benchmarks compare both). */
export const ELEMENTWISE_WIDTH = kernelKnob('elementwise', ['vec4', 'scalar'] as const);
const scalarOnly = (be: Backend) => be.kernels.pinnedVariant(ELEMENTWISE_WIDTH) === 'scalar';

/** A unary op runs four elements per invocation wherever its size is a multiple of 4. */
export const unaryKernel = (be: Backend, size: number): 'vec4' | 'scalar' =>
  !scalarOnly(be) && size % 4 === 0 ? 'vec4' : 'scalar';

/**
 * A binary op runs four elements per invocation where whole vec4s line up: the innermost output
 * dimension is a multiple of 4, and each operand runs along it or is broadcast along it
 * (binary.wgsl with OW = 4).
 */
export function binaryKernel(be: Backend, outShape: Shape, ...operands: Shape[]): 'vec4' | 'scalar' {
  const inner = outShape[outShape.length - 1] ?? 1;
  if (scalarOnly(be) || inner % 4 !== 0) return 'scalar';
  // Each operand either runs along the innermost dimension (same size) or is broadcast along it.
  return operands.every((s) => (s[s.length - 1] ?? 1) === inner || (s[s.length - 1] ?? 1) === 1) ? 'vec4' : 'scalar';
}
