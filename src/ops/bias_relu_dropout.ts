import forwardWgsl from '../../shaders/bias_relu_dropout.wgsl';
import gradWgsl from '../../shaders/bias_relu_dropout_grad.wgsl';
import dropoutHashWgsl from '../../shaders/dropout_hash.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad, backendOf } from '../tensor/tensor.js';
import { record } from './kernel.js';
import { sumTo } from './reduce-axis.js';
import { checkKeep } from './dropout_mask.js';

/** Per-invocation width: vec4 loads where the size is a multiple of 4. */
const widthTail = (W: 1 | 4): string =>
  W === 4
    ? 'alias V = vec4f;\nconst W = 4u;\nfn at(v: V, k: u32) -> f32 { return v[k]; }\nfn put(v: ptr<function, V>, k: u32, s: f32) { (*v)[k] = s; }\n'
    : 'alias V = f32;\nconst W = 1u;\nfn at(v: V, k: u32) -> f32 { return v; }\nfn put(v: ptr<function, V>, k: u32, s: f32) { *v = s; }\n';

export interface DropoutDraw {
  /** Keep probability; 1: no dropout. */
  keep: number;
  seed: number;
  stream: number;
}

/**
 * relu(x + bias) then inverted dropout, in one kernel, and its gradient in one more: a layer's
 * epilogue. x is [n, C] (linear) or [n, C, …] (conv maps), bias [C] along axis 1. It gives the
 * same bits as add → relu → dropout (mask from the same seed and stream), forward and backward,
 * with 1 dispatch instead of 4 (2 without dropout) and 1 instead of 2 backward.
 */
export function biasReluDropout(x: Tensor, bias: Tensor, drop: DropoutDraw = { keep: 1, seed: 0, stream: 0 }): Tensor {
  checkKeep(drop.keep);
  const channels = x.shape[1];
  if (x.shape.length < 2 || bias.shape.length !== 1 || bias.shape[0] !== channels)
    throw new ShapeError(
      `biasReluDropout: bias ${fmtShape(bias.shape)} must be [C] for the C = axis-1 size of x ${fmtShape(x.shape)}`,
    );
  const inner = x.size / (x.shape[0] * channels);
  const uniforms = {
    size: x.size,
    inner: Math.max(inner, 1),
    channels,
    seed: drop.seed >>> 0,
    stream: drop.stream >>> 0,
    keep: drop.keep,
  };
  const W = x.size % 4 === 0 ? 4 : 1;
  const be = backendOf('biasReluDropout', x, bias);
  const out = Tensor.empty(be, x.shape, 'biasReluDropout');
  be.runner.dispatch(
    be.pipeline(`bias_relu_dropout:${W}`, () => `${dropoutHashWgsl}\n${forwardWgsl}\n${widthTail(W)}`),
    [x.buffer, bias.buffer, out.buffer],
    uniforms,
    workgroups1d(x.size / W),
  );
  return record(out, [x, bias], (g) => {
    const gx = Tensor.empty(be, x.shape, 'biasReluDropoutGrad');
    be.runner.dispatch(
      be.pipeline(`bias_relu_dropout_grad:${W}`, () => `${dropoutHashWgsl}\n${gradWgsl}\n${widthTail(W)}`),
      [g.buffer, x.buffer, bias.buffer, gx.buffer],
      uniforms,
      workgroups1d(x.size / W),
    );
    // The bias gradient sums over the batch and the positions of each channel, as add's does.
    if (bias.requiresGrad)
      accumulateGrad(bias, sumTo(gx, [channels, ...x.shape.slice(2).map(() => 1)]).reshape([channels]));
    accumulateGrad(x, gx);
  });
}
