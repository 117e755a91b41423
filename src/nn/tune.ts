import { tidy } from '../tensor/tensor';
import { runner } from '../gpu/runner';
import { kernelChoices } from '../gpu/tuning';
import { tuneRecorded } from '../ops/tune-ops';
import type { Tuner } from '../gpu/tuner';
import { Net, inputSize } from './net';
import { classesOf, layersOf, type TrainConfig } from './config';
import { adamFor, trainStep } from './train';

/**
 * Measures the kernels (matmul, reductions, conv) of this training step's ops on the adapter (one step of a
 * throwaway net, recorded, then every new shape bucket timed) and leaves the tuner in charge of
 * the choice from here on. Buckets the tuner's store already has cost nothing.
 */
export async function tuneForTraining(config: TrainConfig, tuner: Tuner) {
  const net = Net.init(layersOf(config), config.keep, config.seed);
  const adam = adamFor(net, config);
  const shapes = new Set<string>();
  kernelChoices.recording = shapes;
  try {
    tidy(() => {
      const pixels = inputSize(net.layers[0]),
        classes = classesOf(config);
      trainStep(
        net,
        adam,
        config,
        new Float32Array(config.batch * pixels),
        new Float32Array(config.batch * classes),
        1,
        false,
      );
    });
    await runner.sync();
  } finally {
    kernelChoices.recording = null;
    adam.dispose();
    net.dispose();
  }
  kernelChoices.tuner = tuner;
  return tuneRecorded(tuner, shapes);
}
