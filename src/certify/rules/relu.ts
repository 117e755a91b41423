import { deepFreeze } from '../../util/freeze.js';
import type { BoundRule, Relaxation, UnaryOp } from '../bound-op.js';

/** CROWN's linear bounds on relu(z), z in [l, u], with the adaptive lower slope (Zhang et al. 2018). */
export function reluRelaxation(l: number, u: number): Relaxation {
  if (l >= 0) return { lowSlope: 1, lowIntercept: 0, upSlope: 1, upIntercept: 0 };
  if (u <= 0) return { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
  const s = u / (u - l);
  // The lower slope is 1 where the neuron is more on than off, else 0.
  return { lowSlope: u >= -l ? 1 : 0, lowIntercept: 0, upSlope: s, upIntercept: -s * l };
}

const relu: UnaryOp = { kind: 'unary', f: (z) => Math.max(0, z), relax: reluRelaxation };
const reluRule: BoundRule = () => relu;

export const RELU_RULES = deepFreeze({ ReLU: reluRule, relu: reluRule });
