import { deepFreeze } from '../../util/freeze.js';
import { Tensor } from '../../tensor/tensor.js';
import { scale } from '../../ops/elementwise.js';
import { ConfigError, fmtShape } from '../../util/errors.js';
import type { BoundRule, RuleContext } from '../bound-op.js';
import { affineOperands, diagonalAffine, scaledAffine, spread } from './affine.js';
import { numel } from '../../tensor/shape.js';

/** The elementwise ops that are affine in a traced operand, and the sum of traced operands. */

/** add/sub of two traced operands of one shape: a sum with coefficients ±1. */
function sumOf(ctx: RuleContext, coefficients: number[]) {
  const { node, inShapes } = ctx;
  for (const s of inShapes)
    if (s.join() !== node.shape.join())
      throw new ConfigError(
        `certify: ${node.name} (${node.op}) of traced operands ${inShapes.map(fmtShape).join(' and ')}: a sum is bounded for operands of one shape`,
      );
  return { kind: 'sum' as const, coefficients };
}

const addRule: BoundRule = (ctx) => {
  if (ctx.node.inputs.length === 2) return sumOf(ctx, [1, 1]);
  const { at, constants } = affineOperands(ctx);
  return diagonalAffine(ctx.node.shape, null, spread(constants[1 - at]!, ctx.node.shape, ctx.node.name));
};

const subRule: BoundRule = (ctx) => {
  if (ctx.node.inputs.length === 2) return sumOf(ctx, [1, -1]);
  const { at, constants } = affineOperands(ctx);
  const c = spread(constants[1 - at]!, ctx.node.shape, ctx.node.name);
  if (at === 0) {
    const minus = scale(c, -1).keep();
    c.dispose();
    return diagonalAffine(ctx.node.shape, null, minus); // x − c
  }
  const minusOne = Tensor.full([numel(ctx.node.shape)], -1, false, ctx.backend);
  return diagonalAffine(ctx.node.shape, minusOne, c); // c − x
};

const mulRule: BoundRule = (ctx) => {
  if (ctx.node.inputs.length === 2)
    throw new ConfigError(
      `certify: ${ctx.node.name}: a product of two traced tensors is not affine and has no relaxation here`,
    );
  const { at, constants } = affineOperands(ctx);
  return diagonalAffine(ctx.node.shape, spread(constants[1 - at]!, ctx.node.shape, ctx.node.name), null);
};

const divRule: BoundRule = ({ node }) => {
  throw new ConfigError(
    `certify: ${node.name}: division has no rule here; write x / c as mul(x, 1 / c) with the reciprocal made once`,
  );
};

const scaleRule: BoundRule = ({ node, backend }) => scaledAffine(node.shape, node.attrs.alpha as number, backend);

const addScalarRule: BoundRule = ({ node, backend }) =>
  diagonalAffine(node.shape, null, Tensor.full([numel(node.shape)], node.attrs.alpha as number, false, backend));

export const ELEMENTWISE_RULES = deepFreeze({
  add: addRule,
  sub: subRule,
  mul: mulRule,
  div: divRule,
  scale: scaleRule,
  addScalar: addScalarRule,
});
