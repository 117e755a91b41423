import sgdWgsl from '../../shaders/sgd.wgsl';
import { unaryKernel } from './elementwise.js';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { type Tensor, backendOf } from '../tensor/tensor.js';

export interface SgdStep {
  lr: number;
  momentum: number;
  dampening: number;
  /** Adds decay·p to the gradient (L2, PyTorch's weight_decay). */
  decay: number;
  nesterov: boolean;
  /** The momentum buffer starts as the gradient (PyTorch's first step). */
  first: boolean;
}

/** In-place fused SGD step of p with gradient g and momentum buffer buf (torch.optim.SGD's rule). */
export function sgdUpdate(p: Tensor, g: Tensor, buf: Tensor, s: SgdStep): void {
  if (g.size !== p.size || buf.size !== p.size)
    throw new ShapeError(`sgd: parameter ${fmtShape(p.shape)} vs gradient ${fmtShape(g.shape)}`);
  const be = backendOf('sgd', p, g, buf);
  const vec4 = unaryKernel(be, p.size) === 'vec4';
  const pipeline = be.pipeline(
    `sgd:${vec4 ? 4 : 1}`,
    () => `${sgdWgsl}\nalias PV = ${vec4 ? 'vec4f' : 'f32'};\nconst W = ${vec4 ? 4 : 1}u;\n`,
  );
  be.runner.dispatch(
    pipeline,
    [p.buffer, g.buffer, buf.buffer],
    {
      size: p.size,
      lr: s.lr,
      momentum: s.momentum,
      dampening: s.dampening,
      decay: s.decay,
      first: s.first ? 1 : 0,
      nesterov: s.nesterov ? 1 : 0,
    },
    workgroups1d(vec4 ? p.size / 4 : p.size),
  );
}
