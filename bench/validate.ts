import { type Tensor, tidyAsync } from '../src/tensor/tensor';
import type { matmul as MatmulFn } from '../src/ops/matmul';

/** llm.c style: check the kernel against a float64 CPU product on sampled elements before timing it. */
export async function validateMatmul(
  fn: typeof MatmulFn,
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
  what: string,
): Promise<void> {
  const [ad, bd] = await Promise.all([a.read(), b.read()]);
  const c = await tidyAsync(() => fn(a, b, { transA, transB }).read());
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const N = transB ? b.shape[0] : b.shape[1];
  for (let s = 0; s < 64; s++) {
    const m = (s * 7919) % M,
      n = (s * 104729) % N;
    let want = 0;
    for (let k = 0; k < K; k++)
      want += (transA ? ad[k * M + m] : ad[m * K + k]) * (transB ? bd[n * K + k] : bd[k * N + n]);
    const got = c[m * N + n];
    if (!(Math.abs(got - want) <= 1e-4 * Math.sqrt(K) + 1e-4 * Math.abs(want)))
      throw new Error(`bench validation failed for matmul ${what} at [${m},${n}]: got ${got}, want ${want}`);
  }
}
