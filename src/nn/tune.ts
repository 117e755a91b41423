import { tidy } from '../tensor/tensor.js';
import type { TunedBucket } from '../gpu/tuning.js';
import { tuneRecorded } from '../ops/tune-ops.js';
import type { Tuner } from '../gpu/tuner.js';
import { studyModel } from './study-models.js';
import { classesOf, inputOf, type TrainConfig } from './config.js';
import { adamFor, trainStep, type Trainable } from './train.js';

/**
 * Measures the kernels (matmul, reductions, conv) of this training step's ops on the adapter (one step of a
 * throwaway model, recorded, then every new shape bucket timed) and leaves the tuner in charge of
 * the choice from here on. Buckets the tuner's store already has cost nothing. `makeModel`
 * builds the throwaway model: the study's net of the config by default, or any trainable model
 * (an nn Sequential) whose step is to be measured; `classes` is its output width where the
 * config does not record it (the data's class count).
 */
export async function tuneForTraining(
  config: TrainConfig,
  tuner: Tuner,
  opts: { makeModel?: () => Trainable; classes?: number } = {},
) {
  const model = opts.makeModel?.() ?? studyModel(config);
  const adam = adamFor(model, config);
  const be = model.backend;
  const shapes = new Set<string>();
  be.kernels.recording = shapes;
  try {
    tidy(() => {
      const pixels = (config.model?.input ?? inputOf(config)).reduce((a, b) => a * b, 1),
        classes = config.classes ?? opts.classes ?? classesOf(config);
      trainStep(
        model,
        adam,
        config,
        new Float32Array(config.batch * pixels),
        new Float32Array(config.batch * classes),
        1,
        false,
      );
    });
    await be.runner.sync();
  } finally {
    be.kernels.recording = null;
    adam.dispose();
    model.dispose();
  }
  be.kernels.tuner = tuner;
  return tuneRecorded(be, tuner, shapes);
}

/** The log line after a training step's kernels were tuned. */
export const tunedLine = (tuned: TunedBucket[], cache?: string): string =>
  `kernels: measured per shape (${tuned.length} shape buckets (matmul, reductions, conv), ${tuned.filter((t) => t.source === 'measured').length} measured now${cache ? `, cached in ${cache}` : ''}): ${tuned.map((t) => t.winner).join(', ')}`;
