import { deepFreeze } from '../util/freeze.js';
/**
 * Per-input scores from a model's raw outputs (one row of `classes` values per input), each
 * oriented so that a higher score is more suspicious. A linear-quadratic model is trained
 * towards one-hot outputs with no softmax, so an output far from every one-hot vector, with a
 * small top value or a small gap, hints at noise (the study's proposal); the maximum softmax
 * probability is the usual baseline for a softmax-CE model (Hendrycks & Gimpel 2017).
 */
export const DETECT_SCORES = deepFreeze([
  'neg-max',
  'onehot-distance',
  'norm-deviation',
  'neg-gap',
  'neg-msp',
] as const);
export type DetectScore = (typeof DETECT_SCORES)[number];

export const SCORE_MEANING: Record<DetectScore, string> = deepFreeze({
  'neg-max': '−(largest output)',
  'onehot-distance': 'L2 distance of the output vector to the nearest one-hot vector',
  'norm-deviation': "|‖y‖₂ − 1|: how far the output norm is from a one-hot vector's",
  'neg-gap': '−(largest − second largest output)',
  'neg-msp': '−(maximum softmax probability)',
});

/** One score for each row of `outputs` ([n, classes], row-major), in float64. */
export function detectScores(score: DetectScore, outputs: ArrayLike<number>, classes: number): Float64Array {
  const n = outputs.length / classes;
  if (!Number.isInteger(n))
    throw new RangeError(`detectScores: ${outputs.length} outputs is not a multiple of ${classes} classes`);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let top = -Infinity,
      second = -Infinity,
      sq = 0;
    for (let k = 0; k < classes; k++) {
      const v = outputs[r * classes + k];
      sq += v * v;
      if (v > top) {
        second = top;
        top = v;
      } else if (v > second) second = v;
    }
    switch (score) {
      case 'neg-max':
        out[r] = -top;
        break;
      // ‖y − e_k‖² = ‖y‖² − 2·y_k + 1, smallest for the largest y_k.
      case 'onehot-distance':
        out[r] = Math.sqrt(Math.max(0, sq - 2 * top + 1));
        break;
      case 'norm-deviation':
        out[r] = Math.abs(Math.sqrt(sq) - 1);
        break;
      case 'neg-gap':
        out[r] = -(top - second);
        break;
      case 'neg-msp': {
        let z = 0;
        for (let k = 0; k < classes; k++) z += Math.exp(outputs[r * classes + k] - top);
        out[r] = -1 / z; // max softmax = e^0 / Σ e^(y_k − top)
        break;
      }
    }
  }
  return out;
}
