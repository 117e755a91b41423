import dropoutMaskWgsl from '../../shaders/dropout_mask.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ConfigError } from '../gpu/errors';
import { Tensor } from '../tensor/tensor';
import type { Shape } from '../tensor/shape';

/** Inverted-dropout mask: 1/keep with probability keep, else 0; a pure function of (seed, stream, index). */
export function dropoutMask(shape: Shape, keep: number, seed: number, stream: number): Tensor {
  if (!(keep > 0 && keep <= 1)) throw new ConfigError(`dropout: keep probability must be in (0, 1], got ${keep}`);
  const out = Tensor.empty(shape, 'dropoutMask');
  runner.dispatch(
    getPipeline('dropout_mask', dropoutMaskWgsl),
    [out.buffer],
    { size: out.size, seed: seed >>> 0, stream: stream >>> 0, keep },
    workgroups1d(out.size),
  );
  return out;
}
