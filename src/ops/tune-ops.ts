import type { Tuner } from '../gpu/tuner';
import type { TunedBucket } from '../gpu/tuning';
import { tuneMatmuls } from './matmul';
import { tuneReductions } from './reduce-axis';
import { tuneConvs } from './conv2d';

/** Measures every op family's candidates for the recorded shapes (matmul, reductions, conv). */
export async function tuneRecorded(tuner: Tuner, shapes: Set<string>): Promise<TunedBucket[]> {
  return [
    ...(await tuneMatmuls(tuner, shapes)),
    ...(await tuneReductions(tuner, shapes)),
    ...(await tuneConvs(tuner, shapes)),
  ];
}
