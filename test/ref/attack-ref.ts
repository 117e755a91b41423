/**
 * Float64 reference attacks on an FC ReLU net, written from the definitions and independent of
 * the engine: gradient of the loss at the adversarial image itself (no clip in the graph), a
 * sign step, then projection onto [0, 1] ∩ {|x' − x| ≤ ε}.
 */
export interface RefLayer {
  w: Float64Array;
  b: Float64Array;
  out: number;
  in: number;
}
export type RefLoss = 'ce' | 'margin' | 'quadratic';

/** Logits and the gradient of the chosen loss (one image) with respect to the input. */
export function refInputGradient(
  x: Float64Array,
  layers: RefLayer[],
  goal: number,
  loss: RefLoss,
): { logits: Float64Array; grad: Float64Array } {
  const acts: Float64Array[] = [x];
  layers.forEach((L, li) => {
    const h = acts[acts.length - 1];
    const z = new Float64Array(L.out);
    for (let o = 0; o < L.out; o++) {
      let s = L.b[o];
      for (let i = 0; i < L.in; i++) s += L.w[o * L.in + i] * h[i];
      z[o] = li + 1 < layers.length ? Math.max(s, 0) : s;
    }
    acts.push(z);
  });
  const logits = acts[acts.length - 1];
  let g = new Float64Array(logits.length);
  if (loss === 'quadratic') {
    // Σ_c (z_c − onehot_c)²: the study's linear-quadratic cost (no softmax).
    for (let c = 0; c < g.length; c++) g[c] = 2 * (logits[c] - (c === goal ? 1 : 0));
  } else if (loss === 'ce') {
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < g.length; c++) g[c] = e[c] / s - (c === goal ? 1 : 0);
  } else {
    let best = -1;
    for (let c = 0; c < logits.length; c++) if (c !== goal && (best < 0 || logits[c] > logits[best])) best = c;
    g[best] += 1;
    g[goal] -= 1;
  }
  for (let li = layers.length - 1; li >= 0; li--) {
    const L = layers[li];
    const h = acts[li];
    const prev = new Float64Array(L.in);
    for (let o = 0; o < L.out; o++) for (let i = 0; i < L.in; i++) prev[i] += L.w[o * L.in + i] * g[o];
    // ReLU between layers: the gradient passes where the hidden unit was positive.
    if (li > 0) for (let i = 0; i < L.in; i++) if (!(h[i] > 0)) prev[i] = 0;
    g = prev;
  }
  return { logits, grad: g };
}

const argmax = (v: Float64Array): number => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

export interface RefPgd {
  epsilon: number;
  steps: number;
  stepSize: number;
  loss: RefLoss;
  target: number | null;
}

/** Every iterate x'_0..x'_steps of one run for one image, with the smallest |gradient| met (near-ties of sign). */
export function refPgdIterates(
  x: Float64Array,
  start: Float64Array,
  label: number,
  layers: RefLayer[],
  s: RefPgd,
): { iterates: Float64Array[]; preds: number[]; minAbsGrad: number } {
  const goal = s.target ?? label;
  const dir = s.target === null ? 1 : -1;
  const iterates = [start.slice()];
  const preds: number[] = [];
  let minAbsGrad = Infinity;
  for (let k = 0; k <= s.steps; k++) {
    const cur = iterates[k];
    const { logits, grad } = refInputGradient(cur, layers, goal, s.loss);
    preds.push(argmax(logits));
    if (k === s.steps) break;
    const next = new Float64Array(cur.length);
    for (let i = 0; i < cur.length; i++) {
      minAbsGrad = Math.min(minAbsGrad, Math.abs(grad[i]));
      const moved = cur[i] + dir * s.stepSize * Math.sign(grad[i]);
      const inBall = Math.min(Math.max(moved, x[i] - s.epsilon), x[i] + s.epsilon);
      next[i] = Math.min(Math.max(inBall, 0), 1);
    }
    iterates.push(next);
  }
  return { iterates, preds, minAbsGrad };
}

/**
 * The attack's outcome per image: over restarts (each from its own start), the prediction at the
 * first iterate that succeeds (misclassified, or the target when targeted), else at the last
 * iterate of the last restart.
 */
export function refPgdOutcome(
  x: Float64Array,
  starts: Float64Array[],
  label: number,
  layers: RefLayer[],
  s: RefPgd,
): { pred: number; succeeded: boolean } {
  let pred = -1;
  for (const start of starts) {
    const { preds } = refPgdIterates(x, start, label, layers, s);
    for (const p of preds) if (s.target === null ? p !== label : p === s.target) return { pred: p, succeeded: true };
    pred = preds[preds.length - 1];
  }
  return { pred, succeeded: false };
}
