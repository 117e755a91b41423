/**
 * ROC analysis of a detector's scores: higher score = more suspicious. Negatives are clean
 * inputs, positives noisy ones.
 */

export interface RocPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

/**
 * ROC-AUC = P(score of a positive > score of a negative) + ½·P(equal): the Mann–Whitney U
 * statistic over all pairs, from one sort (ties share their average rank).
 */
export function rocAuc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  const n0 = negatives.length,
    n1 = positives.length;
  if (!n0 || !n1) throw new RangeError(`ROC-AUC needs clean and noisy scores (got ${n0} and ${n1})`);
  const all = [
    ...Array.from(negatives, (s) => ({ s, pos: false })),
    ...Array.from(positives, (s) => ({ s, pos: true })),
  ];
  for (const x of all) if (Number.isNaN(x.s)) throw new RangeError('ROC-AUC: a score is NaN');
  all.sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].s === all[i].s) j++;
    const avgRank = (i + j) / 2 + 1; // ranks from 1; a run of ties shares the mean
    for (let k = i; k <= j; k++) if (all[k].pos) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (n1 * (n1 + 1)) / 2) / (n0 * n1);
}

/**
 * The ROC curve: a point per distinct threshold t (flagged: score ≥ t), from (0, 0) to (1, 1),
 * thresholds falling.
 */
export function rocCurve(negatives: ArrayLike<number>, positives: ArrayLike<number>): RocPoint[] {
  const thresholds = [...new Set([...Array.from(negatives), ...Array.from(positives)])].sort((a, b) => b - a);
  const neg = Float64Array.from(negatives).sort(),
    pos = Float64Array.from(positives).sort();
  const atLeast = (sorted: Float64Array, t: number) => sorted.length - lowerBound(sorted, t);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  for (const t of thresholds)
    points.push({ threshold: t, fpr: atLeast(neg, t) / neg.length, tpr: atLeast(pos, t) / pos.length });
  return points;
}

/** First index with sorted[i] >= t. */
function lowerBound(sorted: Float64Array, t: number): number {
  let lo = 0,
    hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The threshold that flags at most `fpr` of these clean scores (flagged: score ≥ threshold):
 * the smallest such value among them, so ties at the threshold are counted. Chosen on a
 * validation split, then applied to test scores.
 */
export function thresholdAtFpr(clean: ArrayLike<number>, fpr: number): number {
  const s = Float64Array.from(clean).sort();
  const allowed = Math.floor(fpr * s.length);
  if (allowed === 0) return Infinity; // nothing may be flagged
  // Candidates: each distinct value; flagged count = number >= value.
  let best = Infinity;
  for (let i = s.length - 1; i >= 0; i--) {
    if (i > 0 && s[i - 1] === s[i]) continue;
    if (s.length - i <= allowed) best = s[i];
    else break;
  }
  return best;
}

/** Share of `scores` flagged at `threshold` (score ≥ threshold). */
export const flaggedRate = (scores: ArrayLike<number>, threshold: number): number => {
  let k = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) k++;
  return k / scores.length;
};
