import type { Tuner } from '../gpu/tuner';
import { tuneMatmuls } from './matmul';
import { tuneReductions } from './reduce-axis';
import { tuneConvs } from './conv2d';

export interface TunedBucket {
  bucket: string;
  winner: string;
  source: string;
  ms?: Record<string, number>;
}

/** Measures every op family's candidates for the recorded shapes (matmul, reductions, conv). */
export async function tuneRecorded(tuner: Tuner, shapes: Set<string>): Promise<TunedBucket[]> {
  return [
    ...(await tuneMatmuls(tuner, shapes)),
    ...(await tuneReductions(tuner, shapes)),
    ...(await tuneConvs(tuner, shapes)),
  ];
}
