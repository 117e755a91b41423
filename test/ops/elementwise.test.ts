import { describe, it } from 'vitest';
import { checkOp, randomArray, useGpu } from '../helpers';
import { add, binaryOp, div, exp, log, mul, relu, scale, square, sub, addScalar } from '../../src/ops/elementwise';
import { refBinary, refUnary } from '../ref/ref';

useGpu();

const SHAPES = [[1], [7, 13], [257], [3, 5, 7, 2]];
// Inputs kept away from relu's kink and log's pole, where finite differences mislead.
const awayFromZero = (_i: number, n: number, seed: number) => randomArray(n, seed, 0.1, 1).map((v, k) => (k % 2 ? v : -v));
const positive = (_i: number, n: number, seed: number) => randomArray(n, seed, 0.2, 2);

describe('unary', () => {
  for (const shape of SHAPES) {
    it(`relu ${shape}`, () => checkOp({ name: 'relu', shapes: [shape], gpu: relu, ref: (x) => refUnary(x, (v) => Math.max(v, 0)), input: awayFromZero }));
    it(`exp ${shape}`, () => checkOp({ name: 'exp', shapes: [shape], gpu: exp, ref: (x) => refUnary(x, Math.exp) }));
    it(`log ${shape}`, () => checkOp({ name: 'log', shapes: [shape], gpu: log, ref: (x) => refUnary(x, Math.log), input: positive }));
    it(`square ${shape}`, () => checkOp({ name: 'square', shapes: [shape], gpu: square, ref: (x) => refUnary(x, (v) => v * v) }));
    it(`scale ${shape}`, () => checkOp({ name: 'scale', shapes: [shape], gpu: (x) => scale(x, -2.5), ref: (x) => refUnary(x, (v) => -2.5 * v) }));
    it(`addScalar ${shape}`, () => checkOp({ name: 'addScalar', shapes: [shape], gpu: (x) => addScalar(x, 0.75), ref: (x) => refUnary(x, (v) => v + 0.75) }));
  }
});

// Pairs of shapes: equal, bias-style broadcast, both sides broadcasting, rank mismatch.
const PAIRS = [[[7, 13], [7, 13]], [[250, 10], [10]], [[7, 1], [1, 13]], [[3, 5, 7, 2], [5, 1, 2]], [[1], [257]]];

describe('binary (broadcasting)', () => {
  for (const [sa, sb] of PAIRS) {
    it(`add ${sa} ${sb}`, () => checkOp({ name: 'add', shapes: [sa, sb], gpu: add, ref: (a, b) => refBinary(a, b, (p, q) => p + q) }));
    it(`sub ${sa} ${sb}`, () => checkOp({ name: 'sub', shapes: [sa, sb], gpu: sub, ref: (a, b) => refBinary(a, b, (p, q) => p - q) }));
    it(`mul ${sa} ${sb}`, () => checkOp({ name: 'mul', shapes: [sa, sb], gpu: mul, ref: (a, b) => refBinary(a, b, (p, q) => p * q) }));
    it(`div ${sa} ${sb}`, () => checkOp({ name: 'div', shapes: [sa, sb], gpu: div, ref: (a, b) => refBinary(a, b, (p, q) => p / q), input: (i, n, s) => (i === 1 ? positive(i, n, s) : randomArray(n, s)) }));
  }
  it('reluGrad is the masked upstream gradient', () =>
    checkOp({ name: 'reluGrad', shapes: [[7, 13], [7, 13]], gpu: (g, x) => binaryOp('reluGrad', g, x), ref: (g, x) => refBinary(g, x, (p, q) => (q > 0 ? p : 0)), noGrad: [0, 1], input: awayFromZero }));
});
