import pruneMaskWgsl from '../../shaders/prune_mask.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, backendOf } from '../tensor/tensor.js';

/**
 * Pruned copy of w: zero where rank < cut (or, with two rank sets interleaved in `ranks`,
 * where either is below its cut: the union of two pruning sets). No gradient (pruning is
 * applied to trained weights, without retraining).
 */
export function pruneMask(w: Tensor, ranks: Tensor, cut: number, cut2?: number): Tensor {
  const two = cut2 !== undefined;
  if (ranks.size !== w.size * (two ? 2 : 1))
    throw new ShapeError(
      `pruneMask: ranks ${fmtShape(ranks.shape)} do not match weights ${fmtShape(w.shape)}${two ? ' (two rank sets)' : ''}`,
    );
  const be = backendOf('pruneMask', w, ranks);
  const out = Tensor.empty(be, w.shape, 'pruneMask');
  be.runner.dispatch(
    be.pipeline('prune_mask', pruneMaskWgsl, { TWO_RANKS: two }),
    [w.buffer, ranks.buffer, out.buffer],
    { size: w.size, cut, cut2: cut2 ?? 0 },
    workgroups1d(w.size),
  );
  return out;
}
