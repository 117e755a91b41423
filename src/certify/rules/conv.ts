import { deepFreeze } from '../../util/freeze.js';
import { Tensor, backward, tidy } from '../../tensor/tensor.js';
import { matmul } from '../../ops/matmul.js';
import { conv2d, paddingOf, type Padding } from '../../ops/conv2d.js';
import { add, unaryOp } from '../../ops/elementwise.js';
import { ConfigError } from '../../util/errors.js';
import type { Conv2d } from '../../nn/layers.js';
import type { AffineOp, BoundRule } from '../bound-op.js';
import { affineOperands } from './affine.js';
import { numel } from '../../tensor/shape.js';

/** The transpose of a linear map by autograd: the gradient of Λ·f(x) with respect to x. */
export function vjp(f: (x: Tensor) => Tensor, inShape: number[], lambda: Tensor): Tensor {
  const x = Tensor.zeros([lambda.shape[0], ...inShape], true, lambda.backend);
  const y = f(x);
  backward(y, lambda.reshape(y.shape));
  const g = x.grad!;
  x.grad = null;
  return g;
}

/**
 * A convolution (weights [O, C, K, K], bias [O] or none) as an affine map; transposed by
 * autograd. Its float64 form is written out entry by entry from its own indexing, not the GPU's.
 */
function convAffine(
  W: Tensor,
  bias: Tensor | null,
  padding: Padding,
  stride: number,
  inShape: number[],
  outShape: number[],
): AffineOp {
  const absW = unaryOp('abs', W).keep();
  const [c, h, w] = outShape;
  // The bias per output value: each channel's bias over its h×w positions.
  const biasMap = bias
    ? tidy(() => matmul(bias.reshape([c, 1]), Tensor.full([1, h * w], 1, false, W.backend)).reshape([c * h * w])).keep()
    : null;
  const product = (x: Tensor, weight: Tensor) => conv2d(x.reshape([x.shape[0], ...inShape]), weight, padding, stride);
  return {
    kind: 'affine',
    inShape,
    outShape,
    apply: (x) => (bias ? add(product(x, W), bias.reshape([c, 1, 1])) : product(x, W)),
    applyAbs: (r) => product(r, absW),
    transpose: (l) => vjp((x) => product(x, W), inShape, l),
    bias: biasMap,
    owned: biasMap ? [absW, biasMap] : [absW],
    dense: async () => {
      const [C, H, Wd] = inShape;
      const [O, OH, OW] = outShape;
      const out = numel(outShape),
        inn = numel(inShape);
      if (out * inn > 5e7) throw new ConfigError('certify reference: a convolution too large to write out densely');
      const dense = new Float64Array(out * inn),
        b = new Float64Array(out);
      const wv = await W.read(),
        bv = bias ? await bias.read() : new Float32Array(O);
      const K = W.shape[2],
        S = stride,
        P = paddingOf(padding, K, K, stride);
      for (let o = 0; o < O; o++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            const row = (o * OH + oy) * OW + ox;
            b[row] = bv[o];
            for (let ch = 0; ch < C; ch++)
              for (let ky = 0; ky < K; ky++)
                for (let kx = 0; kx < K; kx++) {
                  const iy = oy * S - P + ky,
                    ix = ox * S - P + kx;
                  if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
                  dense[row * inn + (ch * H + iy) * Wd + ix] += wv[((o * C + ch) * K + ky) * K + kx];
                }
          }
      return { W: dense, b };
    },
  };
}

/** nn.Conv2d as one op. */
const Conv2dModule: BoundRule = ({ node, inShapes }) => {
  const m = node.module as Conv2d;
  return convAffine(m.weight!.detach(), m.bias!.detach(), m.padding, m.stride, inShapes[0], node.shape);
};

/** conv2d(x, W) with x traced and W constant. */
const conv2dRule: BoundRule = (ctx) => {
  const { at, constants } = affineOperands(ctx);
  if (at !== 0) throw new ConfigError(`certify: ${ctx.node.name}: conv2d bounds a traced input with constant weights`);
  const { padding, stride } = ctx.node.attrs as { padding: Padding; stride: number };
  return convAffine(constants[1]!, null, padding, stride, ctx.inShapes[0], ctx.node.shape);
};

export const CONV_RULES = deepFreeze({ Conv2d: Conv2dModule, conv2d: conv2dRule });
