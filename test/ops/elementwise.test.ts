import { describe, expect, it } from 'vitest';
import { checkOp, randomArray, useGpu } from '../helpers';
import {
  add,
  binaryOp,
  clamp01,
  div,
  exp,
  log,
  mul,
  relu,
  scale,
  square,
  sub,
  addScalar,
  binaryKernel,
  unaryKernel,
} from '../../src/ops/elementwise';
import { Tensor } from '../../src/tensor/tensor';
import { refBinary, refUnary } from '../ref/ref';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// Sizes that are not multiples of 4 run one element per invocation; the rest four at a time.
const SHAPES = [[1], [7, 13], [257], [3, 5, 7, 2], [4], [6, 12], [2, 3, 4, 8]];
// Inputs kept away from relu's kink and log's pole, where finite differences mislead.
const awayFromZero = (_i: number, n: number, seed: number) =>
  randomArray(n, seed, 0.1, 1).map((v, k) => (k % 2 ? v : -v));
const positive = (_i: number, n: number, seed: number) => randomArray(n, seed, 0.2, 2);

describe('unary', () => {
  for (const shape of SHAPES) {
    it(`kernel ${shape}`, () =>
      expect(
        unaryKernel(
          backend(),
          shape.reduce((p, q) => p * q, 1),
        ),
      ).toBe(shape.reduce((p, q) => p * q, 1) % 4 === 0 ? 'vec4' : 'scalar'));
    it(`relu ${shape}`, () =>
      checkOp({
        name: 'relu',
        shapes: [shape],
        gpu: relu,
        ref: (x) => refUnary(x, (v) => Math.max(v, 0)),
        input: awayFromZero,
      }));
    it(`exp ${shape}`, () => checkOp({ name: 'exp', shapes: [shape], gpu: exp, ref: (x) => refUnary(x, Math.exp) }));
    it(`log ${shape}`, () =>
      checkOp({ name: 'log', shapes: [shape], gpu: log, ref: (x) => refUnary(x, Math.log), input: positive }));
    it(`square ${shape}`, () =>
      checkOp({ name: 'square', shapes: [shape], gpu: square, ref: (x) => refUnary(x, (v) => v * v) }));
    it(`scale ${shape}`, () =>
      checkOp({
        name: 'scale',
        shapes: [shape],
        gpu: (x) => scale(x, -2.5),
        ref: (x) => refUnary(x, (v) => -2.5 * v),
      }));
    it(`addScalar ${shape}`, () =>
      checkOp({
        name: 'addScalar',
        shapes: [shape],
        gpu: (x) => addScalar(x, 0.75),
        ref: (x) => refUnary(x, (v) => v + 0.75),
      }));
  }
});

// Pairs of shapes and the kernel they run on: equal, bias-style broadcast, both sides
// broadcasting, rank mismatch; then innermost dimensions that are multiples of 4, with operands
// running along it (read as vec4) or broadcast along it (one scalar), as conv and FC biases are.
const PAIRS: [number[], number[], string][] = [
  [[7, 13], [7, 13], 'scalar'],
  [[250, 10], [10], 'scalar'],
  [[7, 1], [1, 13], 'scalar'],
  [[3, 5, 7, 2], [5, 1, 2], 'scalar'],
  [[1], [257], 'scalar'],
  [[6, 12], [6, 12], 'vec4'],
  [[25, 12], [12], 'vec4'],
  [[6, 12], [6, 1], 'vec4'],
  [[2, 3, 4, 8], [3, 1, 1], 'vec4'],
  [[1], [8], 'vec4'],
  [[5, 1, 8], [1, 4, 1], 'vec4'],
  [[6, 1], [1, 8], 'vec4'],
];

describe('binary (broadcasting)', () => {
  for (const [sa, sb, kernel] of PAIRS) {
    it(`kernel ${sa} ${sb}`, () => {
      const out =
        sa.length >= sb.length
          ? sa.map((d, i) => Math.max(d, sb[i - (sa.length - sb.length)] ?? 1))
          : sb.map((d, i) => Math.max(d, sa[i - (sb.length - sa.length)] ?? 1));
      expect(binaryKernel(backend(), out, sa, sb)).toBe(kernel);
    });
    it(`add ${sa} ${sb}`, () =>
      checkOp({ name: 'add', shapes: [sa, sb], gpu: add, ref: (a, b) => refBinary(a, b, (p, q) => p + q) }));
    it(`sub ${sa} ${sb}`, () =>
      checkOp({ name: 'sub', shapes: [sa, sb], gpu: sub, ref: (a, b) => refBinary(a, b, (p, q) => p - q) }));
    it(`mul ${sa} ${sb}`, () =>
      checkOp({ name: 'mul', shapes: [sa, sb], gpu: mul, ref: (a, b) => refBinary(a, b, (p, q) => p * q) }));
    it(`div ${sa} ${sb}`, () =>
      checkOp({
        name: 'div',
        shapes: [sa, sb],
        gpu: div,
        ref: (a, b) => refBinary(a, b, (p, q) => p / q),
        input: (i, n, s) => (i === 1 ? positive(i, n, s) : randomArray(n, s)),
      }));
  }
  it('clamp01: forward, and its gradient passes at the bounds 0 and 1 (inclusive, as PyTorch) but not outside', async () => {
    const x = Tensor.fromArray([-0.5, -1e-7, 0, 0.3, 1, 1 + 1e-6, 1.5, 0, 1], [9], true);
    const g = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], [9]);
    const y = clamp01(x);
    expect(Array.from(await y.read())).toEqual([0, 0, 0, Math.fround(0.3), 1, 1, 1, 0, 1]);
    y.backwardFn!(g);
    expect(Array.from(await x.grad!.read())).toEqual([0, 0, 3, 4, 5, 0, 0, 8, 9]);
    [x, g, y].forEach((t) => t.dispose());
  });
  it('clamp01 inside (0, 1) against finite differences', () =>
    checkOp({
      name: 'clamp01',
      shapes: [[7, 13]],
      gpu: clamp01,
      ref: (x) => refUnary(x, (v) => Math.min(Math.max(v, 0), 1)),
      input: (_i, n, seed) =>
        randomArray(n, seed, -0.5, 1.5).map((v) => (Math.abs(v) < 0.02 || Math.abs(v - 1) < 0.02 ? 0.5 : v)),
    }));
  it('reluGrad is the masked upstream gradient', () =>
    checkOp({
      name: 'reluGrad',
      shapes: [
        [7, 13],
        [7, 13],
      ],
      gpu: (g, x) => binaryOp('reluGrad', g, x),
      ref: (g, x) => refBinary(g, x, (p, q) => (q > 0 ? p : 0)),
      noGrad: [0, 1],
      input: awayFromZero,
    }));
});

// Four at a time computes each element exactly as one at a time does.
describe('elementwise, vec4 against scalar', () => {
  for (const [sa, sb] of [
    [
      [2, 3, 4, 8],
      [3, 1, 1],
    ],
    [[25, 12], [12]],
    [
      [5, 1, 8],
      [1, 4, 1],
    ],
  ])
    it(`add and div ${sa} ${sb} bit-identical`, async () => {
      const a = Tensor.fromArray(
        randomArray(
          sa.reduce((p, q) => p * q, 1),
          3,
        ),
        sa,
      );
      const b = Tensor.fromArray(
        randomArray(
          sb.reduce((p, q) => p * q, 1),
          4,
          0.5,
          2,
        ),
        sb,
      );
      const runs: Uint32Array[][] = [];
      for (const scalar of [true, false]) {
        backend().kernels.pin({ elementwise: scalar ? 'scalar' : null });
        const outs = [add(a, b), binaryOp('div', a, b), relu(a)];
        runs.push(await Promise.all(outs.map(async (t) => new Uint32Array((await t.read()).buffer))));
        outs.forEach((t) => t.dispose());
      }
      backend().kernels.pin({ elementwise: null });
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[0][0].some((v) => v !== 0)).toBe(true);
      a.dispose();
      b.dispose();
    });
});
