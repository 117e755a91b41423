import dropoutMaskWgsl from '../../shaders/dropout_mask.wgsl';
import dropoutHashWgsl from '../../shaders/dropout_hash.wgsl';
import { getPipeline } from '../gpu/pipelines';
import { runner } from '../gpu/runner';
import { workgroups1d } from '../gpu/dispatch';
import { ConfigError } from '../gpu/errors';
import { Tensor } from '../tensor/tensor';
import type { Shape } from '../tensor/shape';

/** Checks a keep probability: in (0, 1]. */
export function checkKeep(keep: number): void {
  if (!(keep > 0 && keep <= 1)) throw new ConfigError(`dropout: keep probability must be in (0, 1], got ${keep}`);
}

/** Inverted-dropout mask: 1/keep with probability keep, else 0; a pure function of (seed, stream, index). */
export function dropoutMask(shape: Shape, keep: number, seed: number, stream: number): Tensor {
  checkKeep(keep);
  const out = Tensor.empty(shape, 'dropoutMask');
  runner.dispatch(
    getPipeline('dropout_mask', () => `${dropoutHashWgsl}\n${dropoutMaskWgsl}`),
    [out.buffer],
    { size: out.size, seed: seed >>> 0, stream: stream >>> 0, keep },
    workgroups1d(out.size),
  );
  return out;
}
