import { Tensor, tidy } from '../tensor/tensor.js';
import { add, mul, relu, scale, sub, unaryOp } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Backend } from '../gpu/backend.js';
import { ancestorsOf } from '../nn/trace.js';
import type { UnaryOp } from './bound-op.js';
import type { BoundGraph } from './graph.js';
import { numel } from '../tensor/shape.js';

/**
 * Certified lower bounds on the GPU, batched over images, on any traced graph: interval bound
 * propagation (IBP, Gowal et al. 2018) and backward linear relaxation (CROWN, Zhang et al.
 * 2018, with each op's own relaxation). The same algorithms as reference.ts, in float32.
 */

/** Rows ±e_j of a node's outputs, per image and row: the neuron and the sign (0: an unused row). */
interface Neurons {
  outputs: Float32Array;
  signs: Float32Array;
}

/** A box per image: [images × features]. */
export interface Box {
  lo: Float32Array;
  hi: Float32Array;
}

/** Per image: every node's box (IBP), those feeding a nonlinear op tightened by CROWN. */
export interface Intervals {
  images: number;
  boxes: (Box | null)[];
}

/** mid and radius of boxes [n × F] as tensors [n, 1, F] (broadcast over a specification's rows). */
function boxTensors(box: Box, n: number, be: Backend): { mid: Tensor; rad: Tensor } {
  const { lo, hi } = box;
  const F = lo.length / n;
  const mid = new Float32Array(lo.length),
    rad = new Float32Array(lo.length);
  for (let i = 0; i < lo.length; i++) {
    mid[i] = (lo[i] + hi[i]) * 0.5;
    rad[i] = (hi[i] - lo[i]) * 0.5;
  }
  return { mid: Tensor.fromArray(mid, [n, 1, F], false, be), rad: Tensor.fromArray(rad, [n, 1, F], false, be) };
}

/** An op's linear bounds over its input's box, as tensors [n, 1, F]; the lower intercept only where not all 0. */
function relaxation(op: UnaryOp, box: Box, n: number, be: Backend) {
  const { lo, hi } = box;
  const F = lo.length / n;
  const low = new Float32Array(lo.length),
    up = new Float32Array(lo.length),
    upIntercept = new Float32Array(lo.length),
    lowIntercept = new Float32Array(lo.length);
  let anyLow = false;
  for (let i = 0; i < lo.length; i++) {
    const r = op.relax(lo[i], hi[i]);
    low[i] = r.lowSlope;
    up[i] = r.upSlope;
    upIntercept[i] = r.upIntercept;
    lowIntercept[i] = r.lowIntercept;
    if (r.lowIntercept !== 0) anyLow = true;
  }
  const t = (a: Float32Array) => Tensor.fromArray(a, [n, 1, F], false, be);
  return { low: t(low), up: t(up), upIntercept: t(upIntercept), lowIntercept: anyLow ? t(lowIntercept) : null };
}

/**
 * Lower bounds of the rows of `spec` ([n, S, F_start], on node `start`'s output), by linear
 * bounds carried backward through the graph to the nodes of `stops`, where they are taken over
 * those nodes' boxes; each nonlinear op on the way is relaxed over its input's box. [n × S].
 */
async function backwardBound(
  g: BoundGraph,
  start: number,
  spec: Float32Array | Neurons,
  rows: number,
  stops: Set<number>,
  boxes: (Box | null)[],
  n: number,
): Promise<Float32Array> {
  const be = g.backend;
  const out = tidy(() => {
    const lams = new Map<number, Tensor>();
    const pass = (id: number, l: Tensor) => {
      const prev = lams.get(id);
      lams.set(id, prev ? add(prev, l) : l);
    };
    let constant = Tensor.zeros([n, rows, 1], false, be);
    let k = start;
    if (spec instanceof Float32Array)
      lams.set(start, Tensor.fromArray(spec, [n, rows, numel(g.nodes[start].shape)], false, be));
    else {
      // ±e_j through a Linear map is ±(row j of W), ±b_j: gathered, not multiplied.
      const node = g.nodes[start];
      if (node.op?.kind !== 'affine' || !node.op.rows) throw new Error('backwardBound: neuron rows need a Linear map');
      const { W, b } = node.op.rows(Tensor.fromArray(spec.outputs, [n * rows], false, be));
      const sign = Tensor.fromArray(spec.signs, [n * rows, 1], false, be);
      pass(node.inputs[0], mul(W, sign).reshape([n, rows, numel(node.op.inShape)]));
      constant = mul(b, sign).reshape([n, rows, 1]);
      k--;
    }
    for (; k >= 0; k--) {
      const lam = lams.get(k);
      if (!lam || stops.has(k)) continue;
      const { op, inputs, shape } = g.nodes[k];
      if (!op) throw new Error(`backwardBound: the input (node ${k}) is not among the stops`);
      if (op.kind === 'affine') {
        if (op.bias) constant = add(constant, sum(mul(lam, op.bias), 2));
        pass(inputs[0], op.transpose(lam.reshape([n * rows, ...shape])).reshape([n, rows, numel(op.inShape)]));
      } else if (op.kind === 'unary') {
        const { low, up, upIntercept, lowIntercept } = relaxation(op, boxes[inputs[0]]!, n, be);
        const pos = relu(lam);
        const neg = sub(lam, pos);
        constant = add(constant, sum(mul(neg, upIntercept), 2));
        if (lowIntercept) constant = add(constant, sum(mul(pos, lowIntercept), 2));
        pass(inputs[0], add(mul(pos, low), mul(neg, up)));
      } else op.coefficients.forEach((c, i) => pass(inputs[i], c === 1 ? lam : scale(lam, c)));
    }
    for (const id of [...stops].sort((a, b) => b - a)) {
      const lam = lams.get(id);
      if (!lam) continue;
      const { mid, rad } = boxTensors(boxes[id]!, n, be);
      constant = sub(add(constant, sum(mul(lam, mid), 2)), sum(mul(unaryOp('abs', lam), rad), 2));
    }
    return constant.keep();
  });
  const bounds = await out.read();
  out.dispose();
  // Passes come in many shapes (rows per group vary) and the pool keeps buffers by exact size:
  // let it go before it grows without bound (20 GB on the paper model before this).
  const pool = be.pool;
  if (pool.pooledBytes - pool.inUseBytes > FREE_BYTES) pool.trim();
  return bounds;
}

/** Free pooled bytes past which a backward pass hands them back. */
const FREE_BYTES = 512 * 2 ** 20;

/** IBP: every node's box but the output's (node 0's is the input box). */
async function propagateIntervals(
  g: BoundGraph,
  lo: Float32Array,
  hi: Float32Array,
  n: number,
): Promise<(Box | null)[]> {
  const boxes: (Box | null)[] = [{ lo, hi }];
  for (let k = 1; k < g.nodes.length; k++) {
    const { op, inputs } = g.nodes[k];
    if (k === g.output && op?.kind === 'affine') {
      boxes.push(null); // folded into the specification
      continue;
    }
    if (!op) throw new Error('propagateIntervals: a second input node');
    if (op.kind === 'unary') {
      const box = boxes[inputs[0]]!;
      boxes.push({ lo: box.lo.map(op.f), hi: box.hi.map(op.f) });
      continue;
    }
    if (op.kind === 'sum') {
      const F = boxes[inputs[0]]!.lo.length;
      const l = new Float32Array(F),
        u = new Float32Array(F);
      op.coefficients.forEach((c, i) => {
        const b = boxes[inputs[i]]!;
        for (let j = 0; j < F; j++) {
          l[j] += c >= 0 ? c * b.lo[j] : c * b.hi[j];
          u[j] += c >= 0 ? c * b.hi[j] : c * b.lo[j];
        }
      });
      boxes.push({ lo: l, hi: u });
      continue;
    }
    const [l, u] = tidy(() => {
      const { mid, rad } = boxTensors(boxes[inputs[0]]!, n, g.backend);
      const m = op.apply(mid.reshape([n, ...op.inShape])),
        rr = op.applyAbs(rad.reshape([n, ...op.inShape]));
      return [sub(m, rr).keep(), add(m, rr).keep()];
    });
    boxes.push({ lo: await l.read(), hi: await u.read() });
    l.dispose();
    u.dispose();
  }
  return boxes;
}

/** Per image the specification's rows ([n × S × classes]); the bounds [n × S]. */
export interface Bounds {
  bounds: Float32Array;
  intervals: Intervals;
  /** CROWN: its backward pass's own bounds, before the maximum with IBP's. */
  backward?: Float32Array;
}

/** IBP: intervals node by node, the last op folded into the specification where it is affine. */
export async function ibp(
  g: BoundGraph,
  lo: Float32Array,
  hi: Float32Array,
  n: number,
  spec: Float32Array,
  rows: number,
): Promise<Bounds> {
  const boxes = await propagateIntervals(g, lo, hi, n);
  const out = g.nodes[g.output];
  const stops = new Set(out.op?.kind === 'affine' ? out.inputs : [g.output]);
  const bounds = await backwardBound(g, g.output, spec, rows, stops, boxes, n);
  return { bounds, intervals: { images: n, boxes } };
}

/** Bytes one backward pass may hold in its largest tensor (images are split to fit). */
const PASS_BYTES = 128 * 2 ** 20;

/** The rows of images `images` of [n × per] arrays. */
function gather(a: Float32Array, n: number, images: number[]): Float32Array {
  const per = a.length / n;
  const out = new Float32Array(images.length * per);
  images.forEach((i, q) => out.set(a.subarray(i * per, (i + 1) * per), q * per));
  return out;
}

/**
 * CROWN: the input bounds of every nonlinear op that has a nonlinear op before it, by a
 * backward pass from that input (for the neurons IBP leaves unstable in each image; bounds with
 * no relaxation behind them are IBP's), intersected with IBP's; then the specification by a
 * backward pass through the whole graph. That pass can come out below IBP's bound (its
 * relaxation is not always tighter than intervals: seen on small conv nets), so the bound
 * returned is the larger of the two, both being sound; `backward` keeps its own.
 */
export async function crown(
  g: BoundGraph,
  lo: Float32Array,
  hi: Float32Array,
  n: number,
  spec: Float32Array,
  rows: number,
): Promise<Bounds> {
  const interval = await ibp(g, lo, hi, n, spec, rows);
  const { boxes } = interval.intervals; // tightened in place below
  const input = new Set([0]);
  const nonlinear = (id: number) => g.nodes[id].op?.kind === 'unary';
  // Backward passes from node `start` for groups of images, each group with as many rows as
  // its neediest image and as many images as fit in PASS_BYTES.
  const passes = async (
    start: number,
    order: number[],
    rowsOf: (image: number) => number,
    fill: (images: number[], rows: number) => Float32Array | Neurons,
    use: (images: number[], rows: number, b: Float32Array) => void,
  ) => {
    const behind = ancestorsOf(g.nodes, start);
    const width = Math.max(...[...behind].map((k) => numel(g.nodes[k].shape))) * 4;
    for (let at = 0; at < order.length; ) {
      const rows = rowsOf(order[at]); // the group's first image needs the most rows
      const per = Math.max(1, Math.floor(PASS_BYTES / (rows * width)));
      const images = order.slice(at, at + per);
      at += images.length;
      const sliced = boxes.map((b, k) =>
        b && behind.has(k) ? { lo: gather(b.lo, n, images), hi: gather(b.hi, n, images) } : null,
      );
      use(images, rows, await backwardBound(g, start, fill(images, rows), rows, input, sliced, images.length));
    }
  };
  const tightened = new Set<number>();
  for (let u = 1; u < g.nodes.length; u++) {
    if (!nonlinear(u)) continue;
    const p = g.nodes[u].inputs[0];
    if (tightened.has(p) || ![...ancestorsOf(g.nodes, p)].some(nonlinear)) continue;
    tightened.add(p);
    const { lo: l, hi: h } = boxes[p]!;
    const F = l.length / n;
    // Each image's own unstable neurons; images with fewer get zero rows (their bounds unused).
    const unstable = Array.from({ length: n }, (_, i) => {
      const js: number[] = [];
      for (let j = 0; j < F; j++) if (l[i * F + j] < 0 && h[i * F + j] > 0) js.push(j);
      return js;
    });
    const order = unstable
      .map((js, i) => [js.length, i])
      .filter(([count]) => count > 0)
      .sort((x, y) => y[0] - x[0])
      .map(([, i]) => i);
    if (!order.length) continue;
    const before = g.nodes[p].op;
    const direct = before?.kind === 'affine' && !!before.rows;
    // Rows +e_j (lower bounds) then −e_j (minus the upper bounds) per unstable neuron j; an
    // image with fewer than the group's U gets unused rows.
    await passes(
      p,
      order,
      (i) => 2 * unstable[i].length,
      (images, rows) => {
        const U = rows / 2;
        const c = direct
          ? { outputs: new Float32Array(images.length * rows), signs: new Float32Array(images.length * rows) }
          : new Float32Array(images.length * rows * F);
        images.forEach((i, q0) =>
          unstable[i].forEach((j, q) => {
            const up = q0 * rows + q,
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
        images.forEach((i, q0) =>
          unstable[i].forEach((j, q) => {
            const at = i * F + j;
            l[at] = Math.max(l[at], b[q0 * rows + q]);
            h[at] = Math.min(h[at], -b[q0 * rows + U + q]);
          }),
        );
      },
    );
  }
  const bounds = new Float32Array(n * rows);
  await passes(
    g.output,
    Array.from({ length: n }, (_, i) => i),
    () => rows,
    (images) => gather(spec, n, images),
    (images, _rows, b) => images.forEach((i, q0) => bounds.set(b.subarray(q0 * rows, (q0 + 1) * rows), i * rows)),
  );
  return {
    bounds: bounds.map((b, i) => Math.max(b, interval.bounds[i])),
    backward: bounds,
    intervals: { images: n, boxes },
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
