import type { Tuner } from '../gpu/tuner.js';
import type { Backend } from '../gpu/backend.js';
import type { TunedBucket } from '../gpu/tuning.js';
import { tuneMatmuls } from './matmul.js';
import { tuneReductions } from './reduce-axis.js';
import { tuneConvs } from './conv2d.js';

/** Measures every op family's candidates for the recorded shapes (matmul, reductions, conv). */
export async function tuneRecorded(be: Backend, tuner: Tuner, shapes: Set<string>): Promise<TunedBucket[]> {
  return [
    ...(await tuneMatmuls(be, tuner, shapes)),
    ...(await tuneReductions(be, tuner, shapes)),
    ...(await tuneConvs(be, tuner, shapes)),
  ];
}
