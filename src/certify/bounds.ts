import { Tensor, tidy } from '../tensor/tensor.js';
import { add, mul, relu, sub, unaryOp } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Step } from './network.js';

/**
 * Certified lower bounds on the GPU, batched over images: interval bound propagation (IBP,
 * Gowal et al. 2018) and backward linear relaxation (CROWN, Zhang et al. 2018, with the
 * adaptive lower slope). The same algorithms as reference.ts, in float32.
 */

/** Rows ±e_j of a layer's outputs, per image and row: the neuron and the sign (0: an unused row). */
interface Neurons {
  outputs: Float32Array;
  signs: Float32Array;
}

/** Per image: the input box, and each ReLU's input bounds (CPU copies, [images × features]). */
export interface Intervals {
  images: number;
  lo: Float32Array;
  hi: Float32Array;
  preReLU: { lo: Float32Array; hi: Float32Array }[];
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** mid and radius of boxes [n × F] as tensors [n, 1, F] (broadcast over a specification's rows). */
function boxTensors(lo: Float32Array, hi: Float32Array, n: number): { mid: Tensor; rad: Tensor } {
  const F = lo.length / n;
  const mid = new Float32Array(lo.length),
    rad = new Float32Array(lo.length);
  for (let i = 0; i < lo.length; i++) {
    mid[i] = (lo[i] + hi[i]) * 0.5;
    rad[i] = (hi[i] - lo[i]) * 0.5;
  }
  return { mid: Tensor.fromArray(mid, [n, 1, F]), rad: Tensor.fromArray(rad, [n, 1, F]) };
}

/** CROWN's linear bounds on relu(z), z in [l, u] (reference.ts: reluRelaxation), as tensors [n, 1, F]. */
function relaxation(lo: Float32Array, hi: Float32Array, n: number): { low: Tensor; up: Tensor; intercept: Tensor } {
  const F = lo.length / n;
  const low = new Float32Array(lo.length),
    up = new Float32Array(lo.length),
    intercept = new Float32Array(lo.length);
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i],
      u = hi[i];
    if (l >= 0) [low[i], up[i]] = [1, 1];
    else if (u > 0) {
      const s = u / (u - l);
      low[i] = u >= -l ? 1 : 0;
      up[i] = s;
      intercept[i] = -s * l;
    }
  }
  return {
    low: Tensor.fromArray(low, [n, 1, F]),
    up: Tensor.fromArray(up, [n, 1, F]),
    intercept: Tensor.fromArray(intercept, [n, 1, F]),
  };
}

/**
 * Lower bounds of the rows of `spec` ([n, S, F_end], on the output of steps[from..end)) over
 * the box of steps[from]'s input, with each ReLU in between relaxed by its bounds. [n × S].
 */
async function backwardBound(
  steps: Step[],
  from: number,
  end: number,
  spec: Float32Array | Neurons,
  rows: number,
  box: { lo: Float32Array; hi: Float32Array },
  relus: { lo: Float32Array; hi: Float32Array }[],
  n: number,
): Promise<Float32Array> {
  const out = tidy(() => {
    const last = steps[end - 1];
    let lam: Tensor;
    let constant = Tensor.zeros([n, rows, 1]);
    let k = end - 1;
    if (spec instanceof Float32Array)
      lam = Tensor.fromArray(spec, [n, rows, numel(last.kind === 'affine' ? last.outShape : [last.features])]);
    else {
      // ±e_j through a Linear map is ±(row j of W), ±b_j: gathered, not multiplied.
      if (last.kind !== 'affine' || !last.rows) throw new Error('backwardBound: neuron rows need a Linear map');
      const { W, b } = last.rows(Tensor.fromArray(spec.outputs, [n * rows]));
      const sign = Tensor.fromArray(spec.signs, [n * rows, 1]);
      lam = mul(W, sign).reshape([n, rows, numel(last.inShape)]);
      constant = mul(b, sign).reshape([n, rows, 1]);
      k--;
    }
    let r = relus.length;
    for (; k >= from; k--) {
      const s = steps[k];
      if (s.kind === 'affine') {
        if (s.bias) constant = add(constant, sum(mul(lam, s.bias), 2));
        lam = s.transpose(lam.reshape([n * rows, ...s.outShape])).reshape([n, rows, numel(s.inShape)]);
      } else {
        const { low, up, intercept } = relaxation(relus[--r].lo, relus[r].hi, n);
        const pos = relu(lam);
        const neg = sub(lam, pos);
        constant = add(constant, sum(mul(neg, intercept), 2));
        lam = add(mul(pos, low), mul(neg, up));
      }
    }
    const { mid, rad } = boxTensors(box.lo, box.hi, n);
    return sub(add(constant, sum(mul(lam, mid), 2)), sum(mul(unaryOp('abs', lam), rad), 2)).keep();
  });
  const bounds = await out.read();
  out.dispose();
  // Passes come in many shapes (rows per group vary) and the pool keeps buffers by exact size:
  // let it go before it grows without bound (20 GB on the paper model before this).
  const pool = out.backend.pool;
  if (pool.pooledBytes - pool.inUseBytes > FREE_BYTES) pool.trim();
  return bounds;
}

/** Free pooled bytes past which a backward pass hands them back. */
const FREE_BYTES = 512 * 2 ** 20;

/** IBP through the steps before the last: every ReLU's input box, and the box of the last step's input. */
async function propagateIntervals(steps: Step[], lo: Float32Array, hi: Float32Array, n: number) {
  const preReLU: { lo: Float32Array; hi: Float32Array }[] = [];
  let box = { lo, hi };
  for (let k = 0; k < steps.length - 1; k++) {
    const s = steps[k];
    if (s.kind === 'relu') {
      preReLU.push(box);
      box = { lo: box.lo.map((v) => Math.max(0, v)), hi: box.hi.map((v) => Math.max(0, v)) };
      continue;
    }
    const [l, u] = tidy(() => {
      const { mid, rad } = boxTensors(box.lo, box.hi, n);
      const m = s.apply(mid.reshape([n, ...s.inShape])),
        rr = s.applyAbs(rad.reshape([n, ...s.inShape]));
      return [sub(m, rr).keep(), add(m, rr).keep()];
    });
    box = { lo: await l.read(), hi: await u.read() };
    l.dispose();
    u.dispose();
  }
  return { preReLU, last: box };
}

/** Per image the specification's rows ([n × S × classes]); the bounds [n × S]. */
export interface Bounds {
  bounds: Float32Array;
  intervals: Intervals;
  /** CROWN: its backward pass's own bounds, before the maximum with IBP's. */
  backward?: Float32Array;
}

/** IBP: intervals layer by layer, the last layer folded into the specification. */
export async function ibp(
  steps: Step[],
  lo: Float32Array,
  hi: Float32Array,
  n: number,
  spec: Float32Array,
  rows: number,
): Promise<Bounds> {
  const { preReLU, last } = await propagateIntervals(steps, lo, hi, n);
  const bounds = await backwardBound(steps, steps.length - 1, steps.length, spec, rows, last, [], n);
  return { bounds, intervals: { images: n, lo, hi, preReLU } };
}

/** Bytes one backward pass may hold in its largest tensor (images are split to fit). */
const PASS_BYTES = 128 * 2 ** 20;

/**
 * CROWN: each ReLU's input bounds by a backward pass from it (for the neurons IBP leaves
 * unstable in each image; the first ReLU's are exact already), intersected with IBP's; then
 * the specification by a backward pass through the whole network. That pass can come out below
 * IBP's bound (its relaxation is not always tighter than intervals: seen on small conv nets), so
 * the bound returned is the larger of the two, both being sound; `backward` keeps its own.
 */
export async function crown(
  steps: Step[],
  lo: Float32Array,
  hi: Float32Array,
  n: number,
  spec: Float32Array,
  rows: number,
): Promise<Bounds> {
  const interval = await ibp(steps, lo, hi, n, spec, rows);
  const { preReLU } = interval.intervals; // tightened in place below
  const widest = (end: number) =>
    Math.max(
      ...steps
        .slice(0, end)
        .map((s) => (s.kind === 'affine' ? Math.max(numel(s.inShape), numel(s.outShape)) : s.features)),
    );
  const reluAt = steps.flatMap((s, k) => (s.kind === 'relu' ? [k] : []));
  const gather = (a: Float32Array, images: number[]) => {
    const per = a.length / n;
    const out = new Float32Array(images.length * per);
    images.forEach((i, q) => out.set(a.subarray(i * per, (i + 1) * per), q * per));
    return out;
  };
  // Backward passes through steps[0..end) for groups of images, each group with as many rows
  // as its neediest image and as many images as fit in PASS_BYTES.
  const passes = async (
    end: number,
    order: number[],
    rowsOf: (image: number) => number,
    fill: (images: number[], rows: number) => Float32Array | Neurons,
    use: (images: number[], rows: number, b: Float32Array) => void,
    relus: { lo: Float32Array; hi: Float32Array }[],
  ) => {
    const width = widest(end) * 4;
    for (let at = 0; at < order.length; ) {
      const rows = rowsOf(order[at]); // the group's first image needs the most rows
      const per = Math.max(1, Math.floor(PASS_BYTES / (rows * width)));
      const images = order.slice(at, at + per);
      at += images.length;
      const box = { lo: gather(lo, images), hi: gather(hi, images) };
      const sliced = relus.map((b) => ({ lo: gather(b.lo, images), hi: gather(b.hi, images) }));
      use(images, rows, await backwardBound(steps, 0, end, fill(images, rows), rows, box, sliced, images.length));
    }
  };
  for (let r = 1; r < reluAt.length; r++) {
    const { lo: l, hi: u } = preReLU[r];
    const F = l.length / n;
    // Each image's own unstable neurons; images with fewer get zero rows (their bounds unused).
    const unstable = Array.from({ length: n }, (_, i) => {
      const js: number[] = [];
      for (let j = 0; j < F; j++) if (l[i * F + j] < 0 && u[i * F + j] > 0) js.push(j);
      return js;
    });
    const order = unstable
      .map((js, i) => [js.length, i])
      .filter(([count]) => count > 0)
      .sort((x, y) => y[0] - x[0])
      .map(([, i]) => i);
    if (!order.length) continue;
    const before = steps[reluAt[r] - 1];
    const direct = before.kind === 'affine' && !!before.rows;
    // Rows +e_j (lower bounds) then −e_j (minus the upper bounds) per unstable neuron j; an
    // image with fewer than the group's U gets unused rows.
    await passes(
      reluAt[r],
      order,
      (i) => 2 * unstable[i].length,
      (images, rows) => {
        const U = rows / 2;
        const c = direct
          ? { outputs: new Float32Array(images.length * rows), signs: new Float32Array(images.length * rows) }
          : new Float32Array(images.length * rows * F);
        images.forEach((i, g) =>
          unstable[i].forEach((j, q) => {
            const up = g * rows + q,
              down = up + U;
            if (c instanceof Float32Array) {
              c[up * F + j] = 1;
              c[down * F + j] = -1;
            } else [c.outputs[up], c.signs[up], c.outputs[down], c.signs[down]] = [j, 1, j, -1];
          }),
        );
        return c;
      },
      (images, rows, b) => {
        const U = rows / 2;
        images.forEach((i, g) =>
          unstable[i].forEach((j, q) => {
            const at = i * F + j;
            l[at] = Math.max(l[at], b[g * rows + q]);
            u[at] = Math.min(u[at], -b[g * rows + U + q]);
          }),
        );
      },
      preReLU.slice(0, r),
    );
  }
  const bounds = new Float32Array(n * rows);
  await passes(
    steps.length,
    Array.from({ length: n }, (_, i) => i),
    () => rows,
    (images) => gather(spec, images),
    (images, _rows, b) => images.forEach((i, g) => bounds.set(b.subarray(g * rows, (g + 1) * rows), i * rows)),
    preReLU,
  );
  return {
    bounds: bounds.map((b, i) => Math.max(b, interval.bounds[i])),
    backward: bounds,
    intervals: { images: n, lo, hi, preReLU },
  };
}

/** Rows e_y − e_j (j ≠ y) for each image: [n × (classes − 1) × classes]. */
export function marginSpecs(labels: ArrayLike<number>, classes: number): Float32Array {
  const n = labels.length,
    rows = classes - 1;
  const c = new Float32Array(n * rows * classes);
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (let j = 0; j < classes; j++) {
      if (j === labels[i]) continue;
      const row = (i * rows + q++) * classes;
      c[row + labels[i]] = 1;
      c[row + j] = -1;
    }
  }
  return c;
}

/** The L∞ ball of radius ε around each image, clipped to [0, 1]. */
export function linfBoxes(images: Float32Array, eps: number): { lo: Float32Array; hi: Float32Array } {
  return {
    lo: images.map((v) => Math.max(0, v - eps)),
    hi: images.map((v) => Math.min(1, v + eps)),
  };
}
