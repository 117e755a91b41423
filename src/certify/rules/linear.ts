import { deepFreeze } from '../../util/freeze.js';
import { matmul } from '../../ops/matmul.js';
import { add, unaryOp } from '../../ops/elementwise.js';
import { gatherRows } from '../../ops/gather_rows.js';
import { ConfigError } from '../../util/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Linear } from '../../nn/layers.js';
import type { AffineOp, BoundRule } from '../bound-op.js';
import { affineOperands } from './affine.js';
import { numel } from '../../tensor/shape.js';

/**
 * x ↦ x·Wᵀ + b with W [out, in] (nn.Linear's layout), or x·W with W [in, out] (`transposed`
 * false: a plain matmul by a constant). Rows of W are gathered for single neurons.
 */
function linearAffine(W: Tensor, bias: Tensor | null, inShape: number[], outShape: number[], rowsW: boolean): AffineOp {
  const absW = unaryOp('abs', W).keep();
  const flat = (t: Tensor, s: number[]) => t.reshape([t.shape[0], numel(s)]);
  return {
    kind: 'affine',
    inShape,
    outShape,
    apply: (x) => {
      const y = matmul(flat(x, inShape), W, { transB: rowsW });
      return bias ? add(y, bias) : y;
    },
    applyAbs: (r) => matmul(flat(r, inShape), absW, { transB: rowsW }),
    transpose: (l) => matmul(flat(l, outShape), W, { transB: !rowsW }),
    bias,
    owned: [absW],
    ...(rowsW &&
      bias && {
        rows: (outputs: Tensor) => ({
          W: gatherRows(W, outputs),
          b: gatherRows(bias.reshape([numel(outShape), 1]), outputs),
        }),
      }),
    dense: async () => {
      const w = await W.read();
      const [out, inn] = [numel(outShape), numel(inShape)];
      const dense = new Float64Array(out * inn);
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inn; i++) dense[o * inn + i] = rowsW ? w[o * inn + i] : w[i * out + o];
      return { W: dense, b: bias ? Float64Array.from(await bias.read()) : new Float64Array(out) };
    },
  };
}

/** nn.Linear as one op. */
const LinearModule: BoundRule = ({ node, inShapes }) => {
  const m = node.module as Linear;
  return linearAffine(m.weight!.detach(), m.bias!.detach(), inShapes[0], node.shape, true);
};

/** matmul(x, W) or matmul(x, W, { transB: true }) with x traced and W constant. */
const matmulRule: BoundRule = (ctx) => {
  const { node, inShapes } = ctx;
  const { at, constants } = affineOperands(ctx);
  const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
  if (at !== 0 || transA)
    throw new ConfigError(`certify: ${node.name}: matmul bounds x·W with x traced (not transposed) and W constant`);
  return linearAffine(constants[1]!, null, inShapes[0], node.shape, transB);
};

export const LINEAR_RULES = deepFreeze({ Linear: LinearModule, matmul: matmulRule });
