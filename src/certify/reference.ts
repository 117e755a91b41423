/**
 * Float64 CPU reference of the certified bounds (IBP and CROWN) on a network written out as
 * dense matrices: what the GPU implementation is checked against, and small enough to read.
 * A network is a chain of steps, each an affine map (W: out × in, row-major, and b) or a ReLU.
 * Inputs live in a box [lo, hi] per pixel; a specification row c asks for a lower bound of c·z
 * over the box, z the output of the last step.
 */
export type RefStep = { kind: 'affine'; W: Float64Array; b: Float64Array; out: number; in: number } | { kind: 'relu' };

export interface Box {
  lo: Float64Array;
  hi: Float64Array;
}

/** The L∞ ball of radius ε around x, clipped to the pixel range [0, 1]. */
export const linfBox = (x: ArrayLike<number>, eps: number): Box => ({
  lo: Float64Array.from(x, (v) => Math.max(0, v - eps)),
  hi: Float64Array.from(x, (v) => Math.min(1, v + eps)),
});

/** Rows e_y − e_j for every j ≠ y: the true class's margin over each other class. */
export function marginSpec(label: number, classes: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let j = 0; j < classes; j++) {
    if (j === label) continue;
    const c = new Float64Array(classes);
    c[label] = 1;
    c[j] = -1;
    rows.push(c);
  }
  return rows;
}

function affineBox(s: Extract<RefStep, { kind: 'affine' }>, box: Box): Box {
  const lo = new Float64Array(s.out),
    hi = new Float64Array(s.out);
  for (let o = 0; o < s.out; o++) {
    let mid = s.b[o],
      rad = 0;
    for (let i = 0; i < s.in; i++) {
      const w = s.W[o * s.in + i];
      mid += w * (box.lo[i] + box.hi[i]) * 0.5;
      rad += Math.abs(w) * (box.hi[i] - box.lo[i]) * 0.5;
    }
    lo[o] = mid - rad;
    hi[o] = mid + rad;
  }
  return { lo, hi };
}

/** min over the box of c·(W h + b): the last layer folded into the specification (Gowal et al.). */
function specOverAffine(s: Extract<RefStep, { kind: 'affine' }>, c: Float64Array, box: Box): number {
  let bound = 0;
  for (let o = 0; o < s.out; o++) bound += c[o] * s.b[o];
  for (let i = 0; i < s.in; i++) {
    let g = 0;
    for (let o = 0; o < s.out; o++) g += c[o] * s.W[o * s.in + i];
    bound += g >= 0 ? g * box.lo[i] : g * box.hi[i];
  }
  return bound;
}

/** Interval bound propagation: the box of every step's output; with `spec`, its rows' lower bounds. */
export function ibpRef(steps: RefStep[], input: Box, spec: Float64Array[]): { bounds: number[]; preReLU: Box[] } {
  let box = input;
  const preReLU: Box[] = [];
  for (let k = 0; k < steps.length - 1; k++) {
    const s = steps[k];
    if (s.kind === 'relu') {
      preReLU.push(box);
      box = { lo: box.lo.map((v) => Math.max(0, v)), hi: box.hi.map((v) => Math.max(0, v)) };
    } else box = affineBox(s, box);
  }
  const last = steps[steps.length - 1];
  if (last.kind !== 'affine') throw new Error('ibpRef: the network must end with an affine step');
  return { bounds: spec.map((c) => specOverAffine(last, c, box)), preReLU };
}

/** The linear bounds CROWN puts on relu(z) for z in [l, u]: lower a_lo·z, upper a_up·z + b_up. */
export function reluRelaxation(l: number, u: number): { lowSlope: number; upSlope: number; upIntercept: number } {
  if (l >= 0) return { lowSlope: 1, upSlope: 1, upIntercept: 0 };
  if (u <= 0) return { lowSlope: 0, upSlope: 0, upIntercept: 0 };
  const s = u / (u - l);
  // The adaptive lower slope of CROWN (Zhang et al. 2018): 1 where the neuron is more on than off.
  return { lowSlope: u >= -l ? 1 : 0, upSlope: s, upIntercept: -s * l };
}

/**
 * Lower bound of c·(output of steps[0..end)) over the input box, by backward linear relaxation,
 * with `preReLU[r]` the bounds of the r-th ReLU's input (those before `end` are used).
 */
function backwardBound(steps: RefStep[], end: number, c: Float64Array, input: Box, preReLU: Box[]): number {
  let lambda = Float64Array.from(c);
  let constant = 0;
  let relus = steps.slice(0, end).filter((s) => s.kind === 'relu').length;
  for (let k = end - 1; k >= 0; k--) {
    const s = steps[k];
    if (s.kind === 'affine') {
      for (let o = 0; o < s.out; o++) constant += lambda[o] * s.b[o];
      const next = new Float64Array(s.in);
      for (let o = 0; o < s.out; o++) {
        const a = lambda[o];
        if (a !== 0) for (let i = 0; i < s.in; i++) next[i] += a * s.W[o * s.in + i];
      }
      lambda = next;
    } else {
      const box = preReLU[--relus];
      for (let j = 0; j < lambda.length; j++) {
        const r = reluRelaxation(box.lo[j], box.hi[j]);
        if (lambda[j] >= 0) lambda[j] *= r.lowSlope;
        else {
          constant += lambda[j] * r.upIntercept;
          lambda[j] *= r.upSlope;
        }
      }
    }
  }
  for (let i = 0; i < lambda.length; i++)
    constant += lambda[i] >= 0 ? lambda[i] * input.lo[i] : lambda[i] * input.hi[i];
  return constant;
}

/**
 * CROWN: every ReLU's input bounds by backward relaxation from that point (each neuron's lower
 * bound, and its upper bound as minus the lower bound of its negation), intersected with IBP's,
 * then the specification's rows.
 */
export function crownRef(steps: RefStep[], input: Box, spec: Float64Array[]): { bounds: number[]; preReLU: Box[] } {
  const ibp = ibpRef(steps, input, []).preReLU;
  const preReLU: Box[] = [];
  for (let k = 0; k < steps.length; k++) {
    if (steps[k].kind !== 'relu') continue;
    const r = preReLU.length;
    const n = ibp[r].lo.length;
    const lo = new Float64Array(n),
      hi = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      lo[j] = Math.max(ibp[r].lo[j], backwardBound(steps, k, e, input, preReLU));
      e[j] = -1;
      hi[j] = Math.min(ibp[r].hi[j], -backwardBound(steps, k, e, input, preReLU));
    }
    preReLU.push({ lo, hi });
  }
  return { bounds: spec.map((c) => backwardBound(steps, steps.length, c, input, preReLU)), preReLU };
}

/** The network's output at a point (for soundness checks). */
export function forwardRef(steps: RefStep[], x: ArrayLike<number>): Float64Array {
  let h = Float64Array.from(x);
  for (const s of steps) {
    if (s.kind === 'relu') h = h.map((v) => Math.max(0, v));
    else {
      const z = Float64Array.from(s.b);
      for (let o = 0; o < s.out; o++) for (let i = 0; i < s.in; i++) z[o] += s.W[o * s.in + i] * h[i];
      h = z;
    }
  }
  return h;
}
