import pool2dWgsl from '../../shaders/pool2d.wgsl';
import pool2dGradWgsl from '../../shaders/pool2d_grad.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { traceOp } from '../tensor/trace.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, accumulateGrad } from '../tensor/tensor.js';
import { record } from './kernel.js';

export interface PoolOptions {
  kernel: number;
  stride?: number;
  padding?: number;
}

/** Output side of a pooling window: floor((side + 2P − K) / S) + 1, PyTorch's (ceil_mode=False). */
export const pooledSize = (side: number, k: number, s: number, p: number): number =>
  Math.floor((side + 2 * p - k) / s) + 1;

function geometry(op: string, x: Tensor, o: PoolOptions) {
  if (x.shape.length !== 4) throw new ShapeError(`${op}: expects x [N,C,H,W], got ${fmtShape(x.shape)}`);
  const K = o.kernel,
    S = o.stride ?? o.kernel,
    P = o.padding ?? 0;
  if (!Number.isInteger(K) || K < 1 || !Number.isInteger(S) || S < 1 || !Number.isInteger(P) || P < 0)
    throw new ShapeError(
      `${op}: kernel ${K}, stride ${S}, padding ${P}: kernel and stride must be integers ≥ 1, padding ≥ 0`,
    );
  if (2 * P > K)
    throw new ShapeError(`${op}: padding ${P} is more than half the kernel ${K} (a window could hold only padding)`);
  const [N, C, H, W] = x.shape;
  const OH = pooledSize(H, K, S, P),
    OW = pooledSize(W, K, S, P);
  if (OH < 1 || OW < 1)
    throw new ShapeError(`${op}: a ${K}x${K} window (padding ${P}) does not fit the ${H}x${W} input`);
  return { N, C, H, W, OH, OW, K, S, P };
}

function pool(op: 'maxPool2d' | 'avgPool2d', x: Tensor, o: PoolOptions): Tensor {
  const isMax = op === 'maxPool2d';
  const gm = geometry(op, x, o);
  const planes = gm.N * gm.C;
  const be = x.backend;
  const y = Tensor.empty(be, [gm.N, gm.C, gm.OH, gm.OW], op);
  // Max pooling keeps each window's winner for the backward pass; average pooling needs none.
  const arg = Tensor.empty(be, isMax ? [y.size] : [1], `${op}Argmax`);
  const uniforms = (total: number) => ({ H: gm.H, W: gm.W, OH: gm.OH, OW: gm.OW, K: gm.K, S: gm.S, P: gm.P, total });
  be.runner.dispatch(
    be.pipeline('pool2d', pool2dWgsl, { IS_MAX: isMax }),
    [x.buffer, y.buffer, arg.buffer],
    uniforms(y.size),
    workgroups1d(y.size),
  );
  traceOp(y, [x], op, { kernel: gm.K, stride: gm.S, padding: gm.P });
  return record(y, [x], (g) => {
    const dx = Tensor.empty(be, x.shape, `${op}InputGrad`);
    be.runner.dispatch(
      be.pipeline('pool2d_grad', pool2dGradWgsl, { IS_MAX: isMax }),
      [g.buffer, arg.buffer, dx.buffer],
      uniforms(planes * gm.H * gm.W),
      workgroups1d(dx.size),
    );
    accumulateGrad(x, dx);
  });
}

/** Max over K×K windows at stride S (default K) with P padding, as torch.nn.MaxPool2d. */
export const maxPool2d = (x: Tensor, o: PoolOptions): Tensor => pool('maxPool2d', x, o);
/** Mean over K×K windows at stride S (default K) with P zero padding counted, as torch.nn.AvgPool2d. */
export const avgPool2d = (x: Tensor, o: PoolOptions): Tensor => pool('avgPool2d', x, o);
