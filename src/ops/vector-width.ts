import type { Shape } from '../tensor/shape';

import { kernelChoices } from '../gpu/tuning';

/** Pinned to one element per invocation (kernelChoices.pins.scalarElementwise: tests and benchmarks compare both). */
const scalarOnly = () => kernelChoices.pins.scalarElementwise;

/** A unary op runs four elements per invocation wherever its size is a multiple of 4. */
export const unaryKernel = (size: number): 'vec4' | 'scalar' => (!scalarOnly() && size % 4 === 0 ? 'vec4' : 'scalar');

/**
 * A binary op runs four elements per invocation where whole vec4s line up: the innermost output
 * dimension is a multiple of 4, and each operand runs along it or is broadcast along it
 * (binary.wgsl with OW = 4).
 */
export function binaryKernel(outShape: Shape, ...operands: Shape[]): 'vec4' | 'scalar' {
  const inner = outShape[outShape.length - 1] ?? 1;
  if (scalarOnly() || inner % 4 !== 0) return 'scalar';
  // Each operand either runs along the innermost dimension (same size) or is broadcast along it.
  return operands.every((s) => (s[s.length - 1] ?? 1) === inner || (s[s.length - 1] ?? 1) === 1) ? 'vec4' : 'scalar';
}
