import conv2dWgsl from '../../shaders/conv2d.wgsl';
import conv2dSubgroupWgsl from '../../shaders/conv2d_subgroup.wgsl';
import weightGradWgsl from '../../shaders/conv2d_weight_grad.wgsl';
import weightGradSubgroupWgsl from '../../shaders/conv2d_weight_grad_subgroup.wgsl';
import dilateWgsl from '../../shaders/conv2d_dilate.wgsl';
import { kernelPath, subgroupWorkgroupSize } from '../gpu/kernel-path.js';
import { workgroups1d } from '../gpu/dispatch.js';
import { traceOp } from '../tensor/trace.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad, backendOf } from '../tensor/tensor.js';
import { sum } from './reduce.js';
import { record } from './kernel.js';
import { recordShape, tuneFamily, type TunedBucket } from '../gpu/tuning.js';
import type { Tuner } from '../gpu/tuner.js';
import type { Backend } from '../gpu/backend.js';

/** 'same' (odd square kernels, stride 1), 'valid' (none), or zero rows and columns on each side. */
export type Padding = 'same' | 'valid' | number;

const GROUP = 64;

/**
 * Register blocks per thread, output channels × adjacent pixels, picked with bench/conv.ts on
 * lavapipe (ms at batch 250 in docs/conv-lavapipe.md): the correlation runs 4×8 (a single
 * output channel, conv1's input gradient, 1×8), the weight gradient 4×4; 8×4 and 2×8 lost.
 */
const correlateBlock = (outChannels: number) => (outChannels === 1 ? { OB: 1, XB: 8 } : { OB: 4, XB: 8 });
const weightGradBlock = { OB: 4, XB: 4 };

/** The subgroup correlation computes 8 channels at a time: below this the plain kernel wastes less. */
const SUBGROUP_MIN_CHANNELS = 5;
/** Output channels per invocation in the subgroup weight gradient. */
const SUBGROUP_WEIGHT_GRAD_CHANNELS = 4;
/** Pixels per invocation in the subgroup correlation: 7 where it tiles the row exactly (MNIST's 28), else 8. */
const subgroupPixels = (width: number) => (width % 7 === 0 && width % 8 !== 0 ? 7 : 8);

/** Kernel size, stride and block as WGSL constants, appended so that shader line numbers stay true. */
const withSizes =
  (source: string, KH: number, KW: number, b: { OB: number; XB: number }, S = 1) =>
  (): string =>
    `${source}\nconst KH = ${KH}u;\nconst KW = ${KW}u;\nconst S = ${S}u;\nconst OB = ${b.OB}u;\nconst XB = ${b.XB}u;\n`;
/** The kernel name of a shader with these sizes appended. */
const sized = (file: string, KH: number, KW: number, b: { OB: number; XB: number }, S = 1): string =>
  `${file}:${KH}x${KW}:${b.OB}x${b.XB}${S === 1 ? '' : `:s${S}`}`;

interface Geometry {
  N: number;
  CI: number;
  HI: number;
  WI: number;
  CO: number;
  HO: number;
  WO: number;
  P: number;
  /** Stride of the correlation (the subgroup kernels run stride 1 only). */
  S: number;
}

/** The geometry as the conv kernels' uniforms name it. */
const sizes = (gm: Geometry) => ({
  N: gm.N,
  CI: gm.CI,
  HI: gm.HI,
  WI: gm.WI,
  CO: gm.CO,
  HO: gm.HO,
  WO: gm.WO,
  P: gm.P,
});

/** Which conv kernels run: the subgroup ones (broadcasting weights between lanes) or the plain ones. */
type ConvPath = 'plain' | 'subgroup';

/** Today's rules: subgroup kernels where the adapter runs them (the correlation from 5 output channels). */
function convRule(be: Backend, kind: 'correlate' | 'weightGrad', gm: Geometry): ConvPath {
  if (kernelPath(be) !== 'subgroup' || gm.S !== 1) return 'plain';
  return kind === 'weightGrad' || gm.CO >= SUBGROUP_MIN_CHANNELS ? 'subgroup' : 'plain';
}

/** Conv shapes are few (a net's layers): each has its own bucket. */
export const convBucket = (
  kind: 'correlate' | 'weightGrad',
  gm: Geometry,
  KH: number,
  KW: number,
  flip: boolean,
): string =>
  `conv:${kind}${flip ? ':flip' : ''}:${gm.N}x${gm.CI}x${gm.HI}x${gm.WI}:${gm.CO}x${KH}x${KW}:${gm.HO}x${gm.WO}:p${gm.P}${gm.S === 1 ? '' : `:s${gm.S}`}`;

/** The measured winner for this shape where the tuner has one (and the adapter can run it), else the rule. */
function convPath(
  be: Backend,
  kind: 'correlate' | 'weightGrad',
  gm: Geometry,
  KH: number,
  KW: number,
  flip: boolean,
): ConvPath {
  const tuned = be.kernels.tuner?.lookup(convBucket(kind, gm, KH, KW, flip)) as ConvPath | undefined;
  if (tuned === 'plain' || (tuned === 'subgroup' && convRule(be, kind, gm) === 'subgroup')) return tuned;
  return convRule(be, kind, gm);
}

/** out[n,o] = Σ_c src[n,c] ⋆ w(o,c), over an HO×WO output; FLIP reads w turned 180° with channels swapped (input gradient). */
function correlate(src: Tensor, w: Tensor, gm: Geometry, flip: boolean, op: string): Tensor {
  const [, , KH, KW] = w.shape;
  const be = backendOf(op, src, w);
  const out = Tensor.empty(be, [gm.N, gm.CO, gm.HO, gm.WO], op);
  recordShape(be, ['conv', 'correlate', gm, KH, KW, flip]);
  encodeCorrelate(be, convPath(be, 'correlate', gm, KH, KW, flip), src.buffer, w.buffer, out.buffer, gm, KH, KW, flip);
  return out;
}

function encodeCorrelate(
  be: Backend,
  path: ConvPath,
  src: GPUBuffer,
  w: GPUBuffer,
  out: GPUBuffer,
  gm: Geometry,
  KH: number,
  KW: number,
  flip: boolean,
): void {
  const buffers = [src, w, out];
  const uniforms = (XB: number, OB: number) => {
    const tilesX = Math.ceil(gm.WO / XB),
      tilesO = Math.ceil(gm.CO / OB);
    return { tilesX, tilesO, values: { ...sizes(gm), tilesX, tilesO, total: gm.N * gm.HO * tilesX } };
  };
  if (path === 'subgroup') {
    // A workgroup = WG pixel tiles × the same 8 output channels (workgroup_id.y).
    const XB = subgroupPixels(gm.WO);
    const { tilesO, values } = uniforms(XB, 8);
    const WG = subgroupWorkgroupSize(be);
    const blocks = Math.ceil(values.total / WG);
    const z = Math.ceil(blocks / 65535);
    const pipeline = be.pipeline(
      sized('conv2d_subgroup', KH, KW, { OB: 8, XB }),
      withSizes(conv2dSubgroupWgsl, KH, KW, { OB: 8, XB }),
      { FLIP: flip, WG },
    );
    be.runner.dispatch(pipeline, buffers, values, [Math.ceil(blocks / z), tilesO, z]);
    return;
  }
  const block = correlateBlock(gm.CO);
  const { tilesO, tilesX, values } = uniforms(block.XB, block.OB);
  const total = gm.N * gm.HO * tilesX * tilesO;
  values.total = total;
  be.runner.dispatch(
    be.pipeline(sized('conv2d', KH, KW, block, gm.S), withSizes(conv2dWgsl, KH, KW, block, gm.S), { FLIP: flip }),
    buffers,
    values,
    workgroups1d(total, GROUP),
  );
}

/** dw = Σ_n partial[n]: per-image partial sums on the GPU, then one reduction over n. */
function weightGrad(g: Tensor, x: Tensor, wShape: readonly number[], gm: Geometry): Tensor {
  const [O, C, KH, KW] = wShape;
  const be = backendOf('conv2dWeightGrad', g, x);
  const partial = Tensor.empty(be, [gm.N, O * C * KH * KW], 'conv2dWeightGradPartial');
  recordShape(be, ['conv', 'weightGrad', gm, KH, KW, false]);
  encodeWeightGrad(be, convPath(be, 'weightGrad', gm, KH, KW, false), g.buffer, x.buffer, partial.buffer, gm, KH, KW);
  const dw = sum(partial, 0).reshape([...wShape]);
  partial.dispose();
  return dw;
}

function encodeWeightGrad(
  be: Backend,
  path: ConvPath,
  g: GPUBuffer,
  x: GPUBuffer,
  partial: GPUBuffer,
  gm: Geometry,
  KH: number,
  KW: number,
): void {
  const O = gm.CO,
    C = gm.CI;
  const buffers = [g, x, partial];
  if (path === 'subgroup') {
    // A workgroup = WG (input channel, kernel row) pairs × the same OB output channels × one image.
    const block = { OB: SUBGROUP_WEIGHT_GRAD_CHANNELS, XB: subgroupPixels(gm.WO) };
    const tilesO = Math.ceil(O / block.OB),
      pairs = C * KH,
      WG = subgroupWorkgroupSize(be);
    be.runner.dispatch(
      be.pipeline(
        sized('conv2d_weight_grad_subgroup', KH, KW, block),
        withSizes(weightGradSubgroupWgsl, KH, KW, block),
        { WG },
      ),
      buffers,
      { ...sizes(gm), tilesX: 0, tilesO, total: pairs },
      [Math.ceil(pairs / WG), tilesO, gm.N],
    );
  } else {
    const block = weightGradBlock;
    const tilesO = Math.ceil(O / block.OB);
    const total = gm.N * tilesO * C * KH;
    be.runner.dispatch(
      be.pipeline(sized('conv2d_weight_grad', KH, KW, block), withSizes(weightGradWgsl, KH, KW, block)),
      buffers,
      { ...sizes(gm), tilesX: 0, tilesO, total },
      workgroups1d(total, GROUP),
    );
  }
}

/** Times the plain and subgroup conv kernels on every recorded conv shape whose bucket the tuner lacks. */
export function tuneConvs(be: Backend, tuner: Tuner, shapes: Iterable<string>): Promise<TunedBucket[]> {
  return tuneFamily(be, tuner, shapes, 'conv', (args) => {
    const [kind, gm, KH, KW, flip] = args as ['correlate' | 'weightGrad', Geometry, number, number, boolean];
    const input = gm.N * gm.CI * gm.HI * gm.WI,
      output = gm.N * gm.CO * gm.HO * gm.WO;
    return {
      bucket: convBucket(kind, gm, KH, KW, flip),
      rule: convRule(be, kind, gm),
      // The correlation reads src and w and writes its output; the weight gradient reads g and x, writes per-image partials.
      sizes:
        kind === 'correlate'
          ? [input, gm.CO * gm.CI * KH * KW, output]
          : [output, input, gm.N * gm.CO * gm.CI * KH * KW],
      filled: 2,
      candidates: (bufs) =>
        (kernelPath(be) === 'subgroup' && gm.S === 1 ? (['plain', 'subgroup'] as const) : (['plain'] as const)).map(
          (variant) => ({
            variant,
            encode: () =>
              kind === 'correlate'
                ? encodeCorrelate(be, variant, bufs[0], bufs[1], bufs[2], gm, KH, KW, flip)
                : encodeWeightGrad(be, variant, bufs[0], bufs[1], bufs[2], gm, KH, KW),
          }),
        ),
    };
  });
}

/** g [N,C,OH,OW] spread onto the stride-1 grid [N,C,(OH−1)·S+1,(OW−1)·S+1], zeros between. */
function dilate(g: Tensor, S: number): Tensor {
  const [N, C, OH, OW] = g.shape;
  const H = (OH - 1) * S + 1,
    W = (OW - 1) * S + 1;
  const be = g.backend;
  const out = Tensor.empty(be, [N, C, H, W], 'conv2dDilatedGrad');
  be.runner.dispatch(
    be.pipeline('conv2d_dilate', dilateWgsl),
    [g.buffer, out.buffer],
    { OH, OW, H, W, S, total: out.size },
    workgroups1d(out.size),
  );
  return out;
}

/** Zero rows and columns on each side for this padding and kernel. */
export function paddingOf(padding: Padding, KH: number, KW: number, stride: number, op = 'conv2d'): number {
  if (padding === 'valid') return 0;
  if (padding === 'same') {
    if (KH % 2 === 0 || KW % 2 === 0)
      throw new ShapeError(`${op}: 'same' padding needs odd kernel sizes, got ${KH}x${KW}`);
    if (KH !== KW) throw new ShapeError(`${op}: 'same' padding needs square kernels, got ${KH}x${KW}`);
    if (stride !== 1)
      throw new ShapeError(`${op}: 'same' padding needs stride 1 (as PyTorch); give the padding as a number of pixels`);
    return (KH - 1) / 2;
  }
  if (!Number.isInteger(padding) || padding < 0)
    throw new ShapeError(`${op}: padding ${padding} must be 'same', 'valid' or a whole number of pixels >= 0`);
  return padding;
}

/** Output side of a correlation: ⌊(in + 2P − K)/S⌋ + 1, as PyTorch's Conv2d. */
export const convOutputSide = (side: number, K: number, P: number, S: number): number =>
  Math.floor((side + 2 * P - K) / S) + 1;

/**
 * conv2d(x [N,C,H,W], w [O,C,KH,KW]) → [N,O,OH,OW] with OH = ⌊(H + 2P − KH)/stride⌋ + 1:
 * PyTorch's cross-correlation, weight layout and output size. 'same' needs odd square kernels
 * (P = (K−1)/2) and stride 1. The input gradient is the same kernel on g with the weights turned
 * 180°; the weight gradient has its own kernel. With stride > 1 both run on g spread onto the
 * stride-1 grid (zeros between), which is exact. Add the bias with add(y, b.reshape([O,1,1])).
 */
export function conv2d(x: Tensor, w: Tensor, padding: Padding = 'same', stride = 1): Tensor {
  if (x.shape.length !== 4 || w.shape.length !== 4)
    throw new ShapeError(
      `conv2d: expects x [N,C,H,W] and w [O,C,KH,KW], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`,
    );
  const [N, C, H, W] = x.shape;
  const [O, Cw, KH, KW] = w.shape;
  if (C !== Cw) throw new ShapeError(`conv2d: input has ${C} channels, weights ${fmtShape(w.shape)} expect ${Cw}`);
  if (!Number.isInteger(stride) || stride < 1)
    throw new ShapeError(`conv2d: stride ${stride} must be a whole number >= 1`);
  const P = paddingOf(padding, KH, KW, stride);
  if (H + 2 * P < KH || W + 2 * P < KW)
    throw new ShapeError(`conv2d: kernel ${KH}x${KW} is larger than the ${H}x${W} input padded by ${P}`);
  const [OH, OW] = [convOutputSide(H, KH, P, stride), convOutputSide(W, KW, P, stride)];
  const fwd: Geometry = { N, CI: C, HI: H, WI: W, CO: O, HO: OH, WO: OW, P, S: stride };
  const y = correlate(x, w, fwd, false, 'conv2d');
  traceOp(y, [x, w], 'conv2d', { padding, stride });
  return record(y, [x, w], (g) => {
    const gs = stride === 1 ? g : dilate(g, stride);
    const [, , GH, GW] = gs.shape;
    // dx[y] = Σ_i w[i]·g[y−i+P] = Σ_i' w[K−1−i']·g[y+i'−(K−1−P)]: a correlation with padding K−1−P.
    if (x.requiresGrad)
      accumulateGrad(
        x,
        correlate(
          gs,
          w,
          { N, CI: O, HI: GH, WI: GW, CO: C, HO: H, WO: W, P: KH - 1 - P, S: 1 },
          true,
          'conv2dInputGrad',
        ),
      );
    if (w.requiresGrad) accumulateGrad(w, weightGrad(gs, x, w.shape, { ...fwd, HO: GH, WO: GW, S: 1 }));
    if (gs !== g) gs.dispose();
  });
}
