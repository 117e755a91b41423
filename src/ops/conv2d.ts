import conv2dWgsl from '../../shaders/conv2d.wgsl';
import conv2dSubgroupWgsl from '../../shaders/conv2d_subgroup.wgsl';
import weightGradWgsl from '../../shaders/conv2d_weight_grad.wgsl';
import weightGradSubgroupWgsl from '../../shaders/conv2d_weight_grad_subgroup.wgsl';
import { kernelPath, subgroupWorkgroupSize } from '../gpu/kernel-path';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ShapeError, fmtShape } from '../gpu/errors';
import { Tensor, accumulateGrad } from '../tensor/tensor';
import { sum } from './reduce';
import { record } from './kernel';
import { recordShape, tuneFamily, tuning, type TunedBucket } from '../gpu/tuning';
import type { Tuner } from '../gpu/tuner';

export type Padding = 'same' | 'valid';

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

/** Kernel size and block as WGSL constants, appended so that shader line numbers stay true. */
const withSizes = (source: string, KH: number, KW: number, b: { OB: number; XB: number }) => (): string =>
  `${source}\nconst KH = ${KH}u;\nconst KW = ${KW}u;\nconst OB = ${b.OB}u;\nconst XB = ${b.XB}u;\n`;
/** The kernel name of a shader with these sizes appended. */
const sized = (file: string, KH: number, KW: number, b: { OB: number; XB: number }): string =>
  `${file}:${KH}x${KW}:${b.OB}x${b.XB}`;

interface Geometry {
  N: number;
  CI: number;
  HI: number;
  WI: number;
  CO: number;
  HO: number;
  WO: number;
  P: number;
}

/** Which conv kernels run: the subgroup ones (broadcasting weights between lanes) or the plain ones. */
type ConvPath = 'plain' | 'subgroup';

/** Today's rules: subgroup kernels where the adapter runs them (the correlation from 5 output channels). */
function convRule(kind: 'correlate' | 'weightGrad', gm: Geometry): ConvPath {
  if (kernelPath() !== 'subgroup') return 'plain';
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
  `conv:${kind}${flip ? ':flip' : ''}:${gm.N}x${gm.CI}x${gm.HI}x${gm.WI}:${gm.CO}x${KH}x${KW}:${gm.HO}x${gm.WO}:p${gm.P}`;

/** The measured winner for this shape where the tuner has one (and the adapter can run it), else the rule. */
function convPath(kind: 'correlate' | 'weightGrad', gm: Geometry, KH: number, KW: number, flip: boolean): ConvPath {
  const tuned = tuning.tuner?.lookup(convBucket(kind, gm, KH, KW, flip)) as ConvPath | undefined;
  if (tuned === 'plain' || (tuned === 'subgroup' && kernelPath() === 'subgroup')) return tuned;
  return convRule(kind, gm);
}

/** out[n,o] = Σ_c src[n,c] ⋆ w(o,c), over an HO×WO output; FLIP reads w turned 180° with channels swapped (input gradient). */
function correlate(src: Tensor, w: Tensor, gm: Geometry, flip: boolean, op: string): Tensor {
  const [, , KH, KW] = w.shape;
  const out = Tensor.empty([gm.N, gm.CO, gm.HO, gm.WO], op);
  recordShape(['conv', 'correlate', gm, KH, KW, flip]);
  encodeCorrelate(convPath('correlate', gm, KH, KW, flip), src.buffer, w.buffer, out.buffer, gm, KH, KW, flip);
  return out;
}

function encodeCorrelate(
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
    return {
      tilesX,
      tilesO,
      values: [gm.N, gm.CI, gm.HI, gm.WI, gm.CO, gm.HO, gm.WO, gm.P, tilesX, tilesO, gm.N * gm.HO * tilesX],
    };
  };
  if (path === 'subgroup') {
    // A workgroup = WG pixel tiles × the same 8 output channels (workgroup_id.y).
    const XB = subgroupPixels(gm.WO);
    const { tilesO, values } = uniforms(XB, 8);
    const WG = subgroupWorkgroupSize();
    const blocks = Math.ceil(values[10] / WG);
    const z = Math.ceil(blocks / 65535);
    const pipeline = getPipeline(
      sized('conv2d_subgroup', KH, KW, { OB: 8, XB }),
      withSizes(conv2dSubgroupWgsl, KH, KW, { OB: 8, XB }),
      { FLIP: flip, WG },
    );
    runner.dispatch(pipeline, buffers, values, [Math.ceil(blocks / z), tilesO, z]);
    return;
  }
  const block = correlateBlock(gm.CO);
  const { tilesO, tilesX, values } = uniforms(block.XB, block.OB);
  const total = gm.N * gm.HO * tilesX * tilesO;
  values[10] = total;
  runner.dispatch(
    getPipeline(sized('conv2d', KH, KW, block), withSizes(conv2dWgsl, KH, KW, block), { FLIP: flip }),
    buffers,
    values,
    workgroups1d(total, GROUP),
  );
}

/** dw = Σ_n partial[n]: per-image partial sums on the GPU, then one reduction over n. */
function weightGrad(g: Tensor, x: Tensor, wShape: readonly number[], gm: Geometry): Tensor {
  const [O, C, KH, KW] = wShape;
  const partial = Tensor.empty([gm.N, O * C * KH * KW], 'conv2dWeightGradPartial');
  recordShape(['conv', 'weightGrad', gm, KH, KW, false]);
  encodeWeightGrad(convPath('weightGrad', gm, KH, KW, false), g.buffer, x.buffer, partial.buffer, gm, KH, KW);
  const dw = sum(partial, 0).reshape([...wShape]);
  partial.dispose();
  return dw;
}

function encodeWeightGrad(
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
      WG = subgroupWorkgroupSize();
    runner.dispatch(
      getPipeline(
        sized('conv2d_weight_grad_subgroup', KH, KW, block),
        withSizes(weightGradSubgroupWgsl, KH, KW, block),
        { WG },
      ),
      buffers,
      [gm.N, C, gm.HI, gm.WI, O, gm.HO, gm.WO, gm.P, 0, tilesO, pairs],
      [Math.ceil(pairs / WG), tilesO, gm.N],
    );
  } else {
    const block = weightGradBlock;
    const tilesO = Math.ceil(O / block.OB);
    const total = gm.N * tilesO * C * KH;
    runner.dispatch(
      getPipeline(sized('conv2d_weight_grad', KH, KW, block), withSizes(weightGradWgsl, KH, KW, block)),
      buffers,
      [gm.N, C, gm.HI, gm.WI, O, gm.HO, gm.WO, gm.P, 0, tilesO, total],
      workgroups1d(total, GROUP),
    );
  }
}

/** Times the plain and subgroup conv kernels on every recorded conv shape whose bucket the tuner lacks. */
export function tuneConvs(tuner: Tuner, shapes: Iterable<string>): Promise<TunedBucket[]> {
  return tuneFamily(tuner, shapes, 'conv', (args) => {
    const [kind, gm, KH, KW, flip] = args as ['correlate' | 'weightGrad', Geometry, number, number, boolean];
    const input = gm.N * gm.CI * gm.HI * gm.WI,
      output = gm.N * gm.CO * gm.HO * gm.WO;
    return {
      bucket: convBucket(kind, gm, KH, KW, flip),
      rule: convRule(kind, gm),
      // The correlation reads src and w and writes its output; the weight gradient reads g and x, writes per-image partials.
      sizes:
        kind === 'correlate'
          ? [input, gm.CO * gm.CI * KH * KW, output]
          : [output, input, gm.N * gm.CO * gm.CI * KH * KW],
      filled: 2,
      candidates: (bufs) =>
        (kernelPath() === 'subgroup' ? (['plain', 'subgroup'] as const) : (['plain'] as const)).map((variant) => ({
          variant,
          encode: () =>
            kind === 'correlate'
              ? encodeCorrelate(variant, bufs[0], bufs[1], bufs[2], gm, KH, KW, flip)
              : encodeWeightGrad(variant, bufs[0], bufs[1], bufs[2], gm, KH, KW),
        })),
    };
  });
}

/**
 * conv2d(x [N,C,H,W], w [O,C,KH,KW]) → [N,O,OH,OW], stride 1, PyTorch's cross-correlation and
 * weight layout. 'same' needs odd square kernels (padding (K−1)/2). The input gradient is the
 * same kernel on g with the weights turned 180°; the weight gradient has its own kernel.
 * Add the bias with add(y, b.reshape([O,1,1])).
 */
export function conv2d(x: Tensor, w: Tensor, padding: Padding = 'same'): Tensor {
  if (x.shape.length !== 4 || w.shape.length !== 4)
    throw new ShapeError(
      `conv2d: expects x [N,C,H,W] and w [O,C,KH,KW], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`,
    );
  const [N, C, H, W] = x.shape;
  const [O, Cw, KH, KW] = w.shape;
  if (C !== Cw) throw new ShapeError(`conv2d: input has ${C} channels, weights ${fmtShape(w.shape)} expect ${Cw}`);
  if (padding === 'same' && (KH % 2 === 0 || KW % 2 === 0))
    throw new ShapeError(`conv2d: 'same' padding needs odd kernel sizes, got ${KH}x${KW}`);
  if (padding === 'same' && KH !== KW)
    throw new ShapeError(`conv2d: 'same' padding needs square kernels, got ${KH}x${KW}`);
  const P = padding === 'same' ? (KH - 1) / 2 : 0;
  const [OH, OW] = padding === 'same' ? [H, W] : [H - KH + 1, W - KW + 1];
  if (OH < 1 || OW < 1) throw new ShapeError(`conv2d: kernel ${KH}x${KW} is larger than the ${H}x${W} input`);
  const fwd: Geometry = { N, CI: C, HI: H, WI: W, CO: O, HO: OH, WO: OW, P };
  const y = correlate(x, w, fwd, false, 'conv2d');
  return record(y, [x, w], (g) => {
    // dx[y] = Σ_i w[i]·g[y−i+P] = Σ_i' w[K−1−i']·g[y+i'−(K−1−P)]: a correlation with padding K−1−P.
    if (x.requiresGrad)
      accumulateGrad(
        x,
        correlate(g, w, { N, CI: O, HI: OH, WI: OW, CO: C, HO: H, WO: W, P: KH - 1 - P }, true, 'conv2dInputGrad'),
      );
    if (w.requiresGrad) accumulateGrad(w, weightGrad(g, x, w.shape, fwd));
  });
}
