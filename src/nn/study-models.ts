import { classesOf, inputOf, STUDY_CONV, type TrainConfig } from './config.js';
import type { ModuleJson } from './modules.js';
import type { ConvSpec } from './net.js';

/** A model config of nn modules: the per-example input shape and the layers. */
export interface ModelConfig {
  input: number[];
  layers: ModuleJson[];
}

/** ReLU and, while training, dropout (keep probability `keep`) after a hidden linear layer. */
const hiddenTail = (keep: number): ModuleJson[] => [
  { type: 'ReLU' },
  ...(keep < 1 ? [{ type: 'Dropout', p: Math.round((1 - keep) * 1e6) / 1e6 } as ModuleJson] : []),
];

/**
 * The study's FC net as nn modules: fc1, fc2, … named as its checkpoints name them, so a
 * checkpoint of the study's net loads into this Sequential unchanged (and into a PyTorch
 * Sequential built from the same OrderedDict).
 */
export function studyFcModel(hidden: number[], input: readonly number[], classes: number, keep = 1): ModelConfig {
  const sizes = [...hidden, classes];
  return {
    input: [...input],
    layers: [
      { type: 'Flatten' },
      ...sizes.flatMap((out, i): ModuleJson[] => [
        { type: 'Linear', out, name: `fc${i + 1}` },
        ...(i + 1 < sizes.length ? hiddenTail(keep) : []),
      ]),
    ],
  };
}

/** The study's CNN as nn modules: conv1…, same-padded stride-1 convs with ReLU, flatten, then its FC layers fc1…. */
export function studyCnnModel(
  conv: ConvSpec[],
  hidden: number[],
  input: readonly number[],
  classes: number,
  keep = 1,
): ModelConfig {
  const fc = studyFcModel(hidden, [1], classes, keep).layers.slice(1); // its linear layers, without the flatten
  return {
    input: [...input],
    layers: [
      ...conv.flatMap((c, i): ModuleJson[] => [
        { type: 'Conv2d', out: c.channels, kernel: c.kernel, padding: 'same', name: `conv${i + 1}` },
        { type: 'ReLU' },
      ]),
      { type: 'Flatten' },
      ...fc,
    ],
  };
}

/** The nn definition of a study config's FC or CNN net (its checkpoints load into it). */
export function studyModelConfig(c: TrainConfig): ModelConfig {
  return c.arch === 'cnn'
    ? studyCnnModel(c.conv ?? STUDY_CONV, c.hidden, inputOf(c), classesOf(c), c.keep)
    : studyFcModel(c.hidden, inputOf(c), classesOf(c), c.keep);
}
