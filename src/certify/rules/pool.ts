import { deepFreeze } from '../../util/freeze.js';
import type { Tensor } from '../../tensor/tensor.js';
import { avgPool2d } from '../../ops/pool2d.js';
import { ConfigError } from '../../util/errors.js';
import type { Pool2d } from '../../nn/layers.js';
import type { AffineOp, BoundRule, RuleContext } from '../bound-op.js';
import { describeNode } from './affine.js';
import { numel } from '../../tensor/shape.js';
import { vjp } from './conv.js';

/** Average pooling (zero padding counted, as PyTorch's count_include_pad) as an affine map. */
function avgPoolAffine(
  kernel: number,
  stride: number,
  padding: number,
  inShape: number[],
  outShape: number[],
): AffineOp {
  const pool = (x: Tensor) => avgPool2d(x.reshape([x.shape[0], ...inShape]), { kernel, stride, padding });
  return {
    kind: 'affine',
    inShape,
    outShape,
    apply: pool,
    applyAbs: pool,
    transpose: (l) => vjp(pool, inShape, l),
    bias: null,
    owned: [],
    dense: async () => {
      const [, H, Wd] = inShape;
      const [O, OH, OW] = outShape;
      const inn = numel(inShape);
      const W = new Float64Array(numel(outShape) * inn);
      for (let c = 0; c < O; c++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++)
            for (let ky = 0; ky < kernel; ky++)
              for (let kx = 0; kx < kernel; kx++) {
                const iy = oy * stride - padding + ky,
                  ix = ox * stride - padding + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
                W[((c * OH + oy) * OW + ox) * inn + (c * H + iy) * Wd + ix] += 1 / (kernel * kernel);
              }
      return { W, b: new Float64Array(numel(outShape)) };
    },
  };
}

const refuseMax = ({ node }: RuleContext): never => {
  throw new ConfigError(
    `certify: ${describeNode(node)} has no bound here: max-pooling is not affine and has no linear relaxation in this project yet; use AvgPool2d or a strided Conv2d`,
  );
};

export const POOL_RULES = deepFreeze({
  AvgPool2d: (({ node, inShapes }) => {
    const m = node.module as Pool2d;
    return avgPoolAffine(m.kernel, m.stride, m.padding, inShapes[0], node.shape);
  }) as BoundRule,
  avgPool2d: (({ node, inShapes }) => {
    const { kernel, stride, padding } = node.attrs as { kernel: number; stride: number; padding: number };
    return avgPoolAffine(kernel, stride, padding, inShapes[0], node.shape);
  }) as BoundRule,
  MaxPool2d: refuseMax as BoundRule,
  maxPool2d: refuseMax as BoundRule,
});
