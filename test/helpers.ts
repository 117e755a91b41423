import { afterEach, beforeAll, expect } from 'vitest';
import { initGpu } from '../src/gpu/node-gpu';
import { NO_PINS } from '../src/gpu/choices';
import { Tensor, backward, tidyAsync } from '../src/tensor/tensor';
import { numel, type Shape } from '../src/tensor/shape';
import { seededRandom } from '../src/nn/random';
import type { Dataset } from '../src/data/dataset';
import { defaultBackend as backend } from '../src/gpu/default-backend';

/** Every GPU test file calls this: a real adapter, and NaN poison in every fresh output. */
export function useGpu(): void {
  beforeAll(async () => {
    await initGpu();
    backend().poison = true;
  });
  // Kernel pins live in one object: every test starts from free choices, whatever the last one pinned.
  afterEach(() => {
    backend().kernels.pins = { ...NO_PINS };
  });
}

/** Seeded PRNG (the engine's own mulberry32) so a failing case can be rerun exactly. */
export const rng = seededRandom;

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export interface RefTensor {
  data: Float64Array;
  shape: Shape;
}

/** Largest |got − want| / (atol + rtol·|want|); ≤ 1 passes. Reports the worst index. */
export function compare(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    } // NaN (an unwritten, poisoned element) always fails
    if (Number.isNaN(err)) break;
  }
  if (!(worst <= 1)) {
    expect.fail(
      `${what}: index ${at}: got ${got[at]}, want ${want[at]} (error ${worst.toFixed(2)}× the bound rtol=${rtol}, atol=${atol})`,
    );
  }
}

export interface OpCase {
  name: string;
  shapes: Shape[];
  gpu: (...xs: Tensor[]) => Tensor;
  ref: (...xs: RefTensor[]) => RefTensor;
  rtol?: number;
  atol?: number;
  /** Skip the finite-difference check for inputs at these positions (e.g. integer targets). */
  noGrad?: number[];
  /** Input generator per input index (default uniform in [-1, 1]). */
  input?: (i: number, n: number, seed: number) => Float64Array;
  gradRtol?: number;
  gradAtol?: number;
  seed?: number;
}

/**
 * Forward against the float64 reference; backward (with a random upstream gradient G) against
 * central finite differences of Σ G·ref(x) in float64.
 */
export async function checkOp(c: OpCase): Promise<void> {
  const seed = c.seed ?? 1234;
  const inputs = c.shapes.map((s, i) => (c.input ? c.input(i, numel(s), seed + i) : randomArray(numel(s), seed + i)));
  const tag = `${c.name} ${c.shapes.map((s) => `[${s.join(',')}]`).join(' ')}`;
  const want = c.ref(...inputs.map((data, i) => ({ data, shape: c.shapes[i] })));
  const G = randomArray(want.data.length, seed + 99);
  const noGrad = new Set(c.noGrad ?? []);

  const { out, grads } = await tidyAsync(async () => {
    const ts = inputs.map((d, i) => Tensor.fromArray(Float32Array.from(d), c.shapes[i], !noGrad.has(i)));
    const y = c.gpu(...ts);
    const out = await y.read();
    expect([...y.shape], `${tag}: output shape`).toEqual([...want.shape]);
    if (!y.requiresGrad) return { out, grads: [] as (Float32Array | null)[] };
    backward(y, Tensor.fromArray(Float32Array.from(G), y.shape));
    const grads = await Promise.all(
      ts.map((t, i) => (noGrad.has(i) ? null : t.grad ? t.grad.read() : new Float32Array(t.size))),
    );
    return { out, grads };
  });
  compare(`${tag} forward`, out, want.data, c.rtol ?? 1e-4, c.atol ?? 1e-5);

  const objective = (xs: Float64Array[]): number => {
    const r = c.ref(...xs.map((data, j) => ({ data, shape: c.shapes[j] })));
    let s = 0;
    for (let k = 0; k < r.data.length; k++) s += G[k] * r.data[k];
    return s;
  };
  for (let i = 0; i < inputs.length; i++) {
    if (noGrad.has(i) || !grads[i]) continue;
    const g = grads[i]!;
    // Central differences on up to 48 sampled elements, plus one directional derivative
    // along a random direction that covers every element (a wrong or unwritten one shows).
    const picks = sampleIndices(g.length, 48, seed + 7 * i);
    const fd = picks.map((k) => partial(inputs, i, k, objective));
    compare(
      `${tag} d/dinput${i} (elements ${picks.slice(0, 4).join(',')}…)`,
      picks.map((k) => g[k]),
      fd,
      c.gradRtol ?? 1e-3,
      c.gradAtol ?? 1e-4,
    );
    const v = randomArray(g.length, seed + 31 * i);
    let dot = 0,
      norm = 0;
    for (let k = 0; k < g.length; k++) {
      dot += g[k] * v[k];
      norm += Math.abs(g[k] * v[k]);
    }
    const dirFd = directional(inputs, i, v, objective);
    compare(
      `${tag} d/dinput${i} along a random direction`,
      [dot],
      [dirFd],
      c.gradRtol ?? 1e-3,
      (c.gradAtol ?? 1e-4) + 1e-4 * norm,
    );
  }
}

function sampleIndices(n: number, k: number, seed: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  const set = new Set<number>([0, n - 1]);
  while (set.size < k) set.add(Math.floor(r() * n));
  return [...set].sort((a, b) => a - b);
}

const H = 1e-6;
function partial(inputs: Float64Array[], which: number, k: number, f: (xs: Float64Array[]) => number): number {
  const x = inputs[which];
  const keep = x[k];
  x[k] = keep + H;
  const fp = f(inputs);
  x[k] = keep - H;
  const fm = f(inputs);
  x[k] = keep;
  return (fp - fm) / (2 * H);
}

function directional(
  inputs: Float64Array[],
  which: number,
  v: Float64Array,
  f: (xs: Float64Array[]) => number,
): number {
  const x0 = inputs[which];
  const shifted = (s: number): number => {
    const xs = inputs.slice();
    xs[which] = x0.map((xv, k) => xv + s * v[k]);
    return f(xs);
  };
  return (shifted(H) - shifted(-H)) / (2 * H);
}

/** A data set of `images` shaped [channels, height, width] each (labels 0 unless given). */
export function testDataset(images: Float32Array, shape: number[], source: string, labels?: Uint8Array): Dataset {
  const pixels = shape.reduce((a, b) => a * b, 1);
  const count = images.length / pixels;
  return { images, labels: labels ?? new Uint8Array(count), count, pixels, shape, source };
}
