/**
 * The top `keep` of `scores` by value as a 0/1 mask, ties broken by the lower index: the mask a
 * full sort gives, in linear expected time (the HYDRA-style method takes one per matrix per step).
 * NaN scores rank below every number.
 */
export function topMask(scores: Float32Array, keep: number): Float32Array {
  const n = scores.length;
  const mask = new Float32Array(n);
  if (keep <= 0) return mask;
  if (keep >= n) return mask.fill(1);
  const rank = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  // The keep-th largest value: quickselect (Hoare partition, middle pivot) on a copy.
  const a = Float64Array.from(scores, rank);
  let lo = 0,
    hi = n - 1;
  const k = keep - 1; // index of the keep-th largest in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  const threshold = a[k];
  // Everything above the threshold, then ties at it by ascending index until keep are taken.
  let taken = 0;
  for (let i = 0; i < n; i++)
    if (rank(scores[i]) > threshold) {
      mask[i] = 1;
      taken++;
    }
  for (let i = 0; i < n && taken < keep; i++)
    if (rank(scores[i]) === threshold) {
      mask[i] = 1;
      taken++;
    }
  return mask;
}
