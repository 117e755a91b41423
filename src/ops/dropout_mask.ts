import dropoutMaskWgsl from '../../shaders/dropout_mask.wgsl';
import dropoutHashWgsl from '../../shaders/dropout_hash.wgsl';
import { workgroups1d } from '../gpu/dispatch.js';
import { ConfigError } from '../util/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Backend } from '../gpu/backend.js';
import type { Shape } from '../tensor/shape.js';

/** Checks a keep probability: in (0, 1]. */
export function checkKeep(keep: number): void {
  if (!(keep > 0 && keep <= 1)) throw new ConfigError(`dropout: keep probability must be in (0, 1], got ${keep}`);
}

/** Inverted-dropout mask: 1/keep with probability keep, else 0; a pure function of (seed, stream, index). */
export function dropoutMask(be: Backend, shape: Shape, keep: number, seed: number, stream: number): Tensor {
  checkKeep(keep);
  const out = Tensor.empty(be, shape, 'dropoutMask');
  be.runner.dispatch(
    be.pipeline('dropout_mask', () => `${dropoutHashWgsl}\n${dropoutMaskWgsl}`),
    [out.buffer],
    { size: out.size, seed: seed >>> 0, stream: stream >>> 0, keep },
    workgroups1d(out.size),
  );
  return out;
}
