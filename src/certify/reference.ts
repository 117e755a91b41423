import type { BoundGraph } from './graph.js';
import type { DenseAffine, UnaryOp } from './bound-op.js';
import { reluRelaxation } from './rules/relu.js';
import { ancestorsOf } from '../nn/trace.js';

const inputsOf = (s: RefNode): { inputs: number[] } => ({
  inputs: s.kind === 'input' ? [] : s.kind === 'sum' ? s.inputs : [s.input],
});

/**
 * Float64 CPU reference of the certified bounds (IBP and CROWN) on a graph written out as
 * dense matrices: what the GPU implementation is checked against, and small enough to read.
 * Each node is an affine map (W: out × in, row-major, or a diagonal; and b), an elementwise
 * op with its relaxation, or a sum of nodes. Inputs live in a box [lo, hi] per pixel; a
 * specification row c asks for a lower bound of c·z over the box, z the output.
 */
export type RefNode =
  | { kind: 'input' }
  | ({ kind: 'affine'; input: number; out: number; in: number } & DenseAffine)
  | { kind: 'unary'; input: number; op: Pick<UnaryOp, 'f' | 'relax'> }
  | { kind: 'sum'; inputs: number[]; coefficients: number[] };

export interface RefGraph {
  nodes: RefNode[];
  output: number;
}

export { reluRelaxation };

export interface Box {
  lo: Float64Array;
  hi: Float64Array;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The graph's ops in float64, from each rule's own dense form (conv written out from its indexing). */
export async function denseGraph(g: BoundGraph): Promise<RefGraph> {
  const nodes: RefNode[] = [];
  for (const n of g.nodes) {
    const op = n.op;
    if (!op) nodes.push({ kind: 'input' });
    else if (op.kind === 'affine')
      nodes.push({
        kind: 'affine',
        input: n.inputs[0],
        out: size(op.outShape),
        in: size(op.inShape),
        ...(await op.dense()),
      });
    else if (op.kind === 'unary') nodes.push({ kind: 'unary', input: n.inputs[0], op });
    else nodes.push({ kind: 'sum', inputs: n.inputs, coefficients: op.coefficients });
  }
  return { nodes, output: g.output };
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

type Affine = Extract<RefNode, { kind: 'affine' }>;
const weight = (s: Affine, o: number, i: number) => (s.W ? s.W[o * s.in + i] : o === i ? s.diag![o] : 0);

function affineBox(s: Affine, box: Box): Box {
  const lo = new Float64Array(s.out),
    hi = new Float64Array(s.out);
  for (let o = 0; o < s.out; o++) {
    let mid = s.b[o],
      rad = 0;
    for (let i = s.W ? 0 : o; i < (s.W ? s.in : o + 1); i++) {
      const w = weight(s, o, i);
      mid += w * (box.lo[i] + box.hi[i]) * 0.5;
      rad += Math.abs(w) * (box.hi[i] - box.lo[i]) * 0.5;
    }
    lo[o] = mid - rad;
    hi[o] = mid + rad;
  }
  return { lo, hi };
}

/** Every node's box by interval arithmetic. */
function boxesOf(g: RefGraph, input: Box): Box[] {
  const boxes: Box[] = [];
  g.nodes.forEach((s, k) => {
    if (s.kind === 'input') boxes.push(input);
    else if (s.kind === 'affine') boxes.push(affineBox(s, boxes[s.input]));
    else if (s.kind === 'unary')
      boxes.push({ lo: boxes[s.input].lo.map((v) => s.op.f(v)), hi: boxes[s.input].hi.map((v) => s.op.f(v)) });
    else {
      const F = boxes[s.inputs[0]].lo.length;
      const lo = new Float64Array(F),
        hi = new Float64Array(F);
      s.coefficients.forEach((c, i) => {
        const b = boxes[s.inputs[i]];
        for (let j = 0; j < F; j++) {
          lo[j] += c >= 0 ? c * b.lo[j] : c * b.hi[j];
          hi[j] += c >= 0 ? c * b.hi[j] : c * b.lo[j];
        }
      });
      boxes.push({ lo, hi });
    }
    void k;
  });
  return boxes;
}

/**
 * Lower bound of c·(output of node `start`), by backward linear relaxation to the nodes of
 * `stops` (taken over `boxes` there), each nonlinear op relaxed over `boxes` of its input.
 */
function backwardBound(g: RefGraph, start: number, c: Float64Array, stops: Set<number>, boxes: Box[]): number {
  const lams = new Map<number, Float64Array>([[start, Float64Array.from(c)]]);
  const pass = (id: number, l: Float64Array) => {
    const prev = lams.get(id);
    if (prev) for (let i = 0; i < l.length; i++) prev[i] += l[i];
    else lams.set(id, l);
  };
  let constant = 0;
  for (let k = start; k >= 0; k--) {
    const lambda = lams.get(k);
    if (!lambda || stops.has(k)) continue;
    const s = g.nodes[k];
    if (s.kind === 'input') throw new Error('backwardBound: the input is not a stop');
    if (s.kind === 'affine') {
      const next = new Float64Array(s.in);
      for (let o = 0; o < s.out; o++) {
        constant += lambda[o] * s.b[o];
        const a = lambda[o];
        if (a === 0) continue;
        if (s.W) for (let i = 0; i < s.in; i++) next[i] += a * s.W[o * s.in + i];
        else next[o] += a * s.diag![o];
      }
      pass(s.input, next);
    } else if (s.kind === 'unary') {
      const box = boxes[s.input];
      const next = new Float64Array(lambda.length);
      for (let j = 0; j < lambda.length; j++) {
        const r = s.op.relax(box.lo[j], box.hi[j]);
        if (lambda[j] >= 0) {
          constant += lambda[j] * r.lowIntercept;
          next[j] = lambda[j] * r.lowSlope;
        } else {
          constant += lambda[j] * r.upIntercept;
          next[j] = lambda[j] * r.upSlope;
        }
      }
      pass(s.input, next);
    } else
      s.coefficients.forEach((cf, i) =>
        pass(
          s.inputs[i],
          lambda.map((v) => v * cf),
        ),
      );
  }
  for (const id of stops) {
    const lambda = lams.get(id);
    if (!lambda) continue;
    for (let i = 0; i < lambda.length; i++)
      constant += lambda[i] >= 0 ? lambda[i] * boxes[id].lo[i] : lambda[i] * boxes[id].hi[i];
  }
  return constant;
}

/** The boxes of the inputs of nonlinear ops, in node order (what a test counts unstable neurons in). */
const preActivation = (g: RefGraph, boxes: Box[]): Box[] =>
  g.nodes.flatMap((s) => (s.kind === 'unary' ? [boxes[s.input]] : []));

/** Interval bound propagation; with `spec`, its rows' lower bounds (an affine output folded into them, Gowal et al.). */
export function ibpRef(g: RefGraph, input: Box, spec: Float64Array[]): { bounds: number[]; preActivation: Box[] } {
  const boxes = boxesOf(g, input);
  const out = g.nodes[g.output];
  const stops = new Set(out.kind === 'affine' ? [out.input] : [g.output]);
  return {
    bounds: spec.map((c) => backwardBound(g, g.output, c, stops, boxes)),
    preActivation: preActivation(g, boxes),
  };
}

/**
 * CROWN: every nonlinear op's input bounds by backward relaxation from that input (each
 * neuron's lower bound, and its upper bound as minus the lower bound of its negation),
 * intersected with IBP's, in node order; then the specification's rows.
 */
export function crownRef(g: RefGraph, input: Box, spec: Float64Array[]): { bounds: number[]; preActivation: Box[] } {
  const boxes = boxesOf(g, input);
  const stops = new Set([0]);
  const done = new Set<number>();
  g.nodes.forEach((s) => {
    if (s.kind !== 'unary' || done.has(s.input)) return;
    done.add(s.input);
    // As the GPU: bounds with no relaxation behind them stay IBP's.
    if (![...ancestorsOf(g.nodes.map(inputsOf), s.input)].some((k) => g.nodes[k].kind === 'unary')) return;
    const b = boxes[s.input];
    const F = b.lo.length;
    for (let j = 0; j < F; j++) {
      const e = new Float64Array(F);
      e[j] = 1;
      const low = backwardBound(g, s.input, e, stops, boxes);
      e[j] = -1;
      const high = -backwardBound(g, s.input, e, stops, boxes);
      b.lo[j] = Math.max(b.lo[j], low);
      b.hi[j] = Math.min(b.hi[j], high);
    }
  });
  return {
    bounds: spec.map((c) => backwardBound(g, g.output, c, stops, boxes)),
    preActivation: preActivation(g, boxes),
  };
}

/** The graph's output at a point (for soundness checks). */
export function forwardRef(g: RefGraph, x: ArrayLike<number>): Float64Array {
  const values: Float64Array[] = [];
  for (const s of g.nodes) {
    if (s.kind === 'input') values.push(Float64Array.from(x));
    else if (s.kind === 'unary') values.push(values[s.input].map((v) => s.op.f(v)));
    else if (s.kind === 'sum') {
      const z = new Float64Array(values[s.inputs[0]].length);
      s.coefficients.forEach((c, i) => values[s.inputs[i]].forEach((v, j) => (z[j] += c * v)));
      values.push(z);
    } else {
      const h = values[s.input];
      const z = Float64Array.from(s.b);
      for (let o = 0; o < s.out; o++)
        if (s.W) for (let i = 0; i < s.in; i++) z[o] += s.W[o * s.in + i] * h[i];
        else z[o] += s.diag![o] * h[o];
      values.push(z);
    }
  }
  return values[g.output];
}
