/** Seeded CPU PRNG (mulberry32) for weight init and batch order: same seed, same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, random: () => number): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Indices 0..n-1 in a fresh seeded permutation per epoch, one at a time (mini-batch order). */
export class IndexStream {
  private order: Uint32Array;
  private at = 0;
  constructor(
    private n: number,
    private random: () => number,
  ) {
    this.order = permutation(n, random);
  }
  next(): number {
    if (this.at === this.order.length) {
      this.order = permutation(this.n, this.random);
      this.at = 0;
    }
    return this.order[this.at++];
  }
}
