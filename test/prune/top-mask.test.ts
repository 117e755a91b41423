import { describe, expect, it } from 'vitest';
import { topMask } from '../../src/prune/top-mask';

/** The definition: sort indices by value (descending), ties by index, keep the first `keep`. */
function bySort(scores: Float32Array, keep: number): Float32Array {
  const rank = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  const order = Array.from(scores.keys()).sort((a, b) => rank(scores[b]) - rank(scores[a]) || a - b);
  const mask = new Float32Array(scores.length);
  for (let i = 0; i < Math.min(keep, scores.length); i++) mask[order[i]] = 1;
  return mask;
}

describe('topMask (quickselect) equals the sorted definition', () => {
  it('on random scores, with many ties, every keep from 0 to n', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const n of [1, 2, 3, 17, 100]) {
      for (const levels of [0, 3]) {
        // levels 0: continuous values; 3: only three distinct values, so most ranks are ties.
        const scores = Float32Array.from({ length: n }, () => (levels ? Math.floor(rand() * levels) : rand() - 0.5));
        for (let keep = 0; keep <= n; keep++) expect(topMask(scores, keep)).toEqual(bySort(scores, keep));
      }
    }
  });

  it('on a HYDRA-sized matrix (235,200 scores) at 90 / 95 / 99% pruned, and with NaN and ±Infinity', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const scores = Float32Array.from({ length: 235_200 }, () => Math.round(rand() * 5000) / 1000);
    for (const ratio of [0.9, 0.95, 0.99]) {
      const keep = Math.round((1 - ratio) * scores.length);
      const mask = topMask(scores, keep);
      expect(mask.reduce((s, v) => s + v, 0)).toBe(keep);
      expect(mask).toEqual(bySort(scores, keep));
    }
    const odd = Float32Array.from([
      Number.NaN,
      1,
      Number.POSITIVE_INFINITY,
      -1,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      1,
    ]);
    for (let keep = 0; keep <= odd.length; keep++) expect(topMask(odd, keep)).toEqual(bySort(odd, keep));
  });
});
