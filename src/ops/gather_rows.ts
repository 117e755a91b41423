import gatherRowsWgsl from '../../shaders/gather_rows.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor, backendOf } from '../tensor/tensor.js';

const MAX_EXACT_INDEX = 2 ** 24; // f32 holds every integer below this

/**
 * Rows of `source` [N, ...] picked by index: [B, ...]. A batch drawn from a dataset held on the
 * GPU is one of these, so a training step uploads B indices instead of B images. `rows` given
 * as numbers are checked here; a tensor of indices is trusted, and an index outside [0, N)
 * yields NaN rows. Data, not a parameter: no gradient flows to the source.
 */
export function gatherRows(source: Tensor, rows: Tensor | ArrayLike<number>): Tensor {
  if (source.shape.length < 1)
    throw new ShapeError(`gatherRows: the source must have rows, got ${fmtShape(source.shape)}`);
  if (source.requiresGrad)
    throw new ShapeError('gatherRows: the source requires a gradient; gathering is for data, which has none');
  const N = source.shape[0];
  const be = source.backend;
  const P = source.size / Math.max(N, 1);
  if (N > MAX_EXACT_INDEX) throw new ShapeError(`gatherRows: ${N} rows; indices are exact up to ${MAX_EXACT_INDEX}`);
  let index: Tensor;
  if (rows instanceof Tensor) {
    if (rows.shape.length !== 1) throw new ShapeError(`gatherRows: indices must be [B], got ${fmtShape(rows.shape)}`);
    index = rows;
    backendOf('gatherRows', source, rows);
  } else {
    for (let b = 0; b < rows.length; b++) {
      const r = rows[b];
      if (!Number.isInteger(r) || r < 0 || r >= N)
        throw new ShapeError(`gatherRows: index ${b} is ${r}, outside the source's ${N} rows`);
    }
    index = Tensor.fromArray(rows, [rows.length], false, be);
  }
  const B = index.shape[0];
  const out = Tensor.empty(be, [B, ...source.shape.slice(1)], 'gatherRows');
  be.runner.dispatch(
    be.pipeline('gather_rows', gatherRowsWgsl),
    [source.buffer, index.buffer, out.buffer],
    { B, P, N },
    workgroups1d(B * P),
  );
  if (index !== rows) index.dispose();
  return out;
}
