import { classesOf, inputOf, STUDY_CONV, type TrainConfig } from './config.js';
import { Sequential, moduleFromJson, type ModuleJson } from './modules.js';
import type { ConvSpec, LayerSpec, Param } from './layer-spec.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';

/** A model config of nn modules: the per-example input shape and the layers. */
export interface ModelConfig {
  input: number[];
  layers: ModuleJson[];
}

/**
 * ReLU and, while training, dropout after a hidden linear layer. Its mask stream is the
 * layer's index among the weight layers, as the study's nets have always drawn it, so runs
 * repeat bit for bit.
 */
const hiddenTail = (dropout: number, stream: number): ModuleJson[] => [
  { type: 'ReLU' },
  ...(dropout > 0 ? [{ type: 'Dropout', p: dropout, stream } as ModuleJson] : []),
];

/**
 * The study's FC net as nn modules: fc1, fc2, … named as its checkpoints name them, so a
 * checkpoint of the study's net loads into this Sequential unchanged (and into a PyTorch
 * Sequential built from the same OrderedDict).
 */
export function studyFcModel(
  hidden: number[],
  input: readonly number[],
  classes: number,
  /** Drop probability after each hidden layer (PyTorch's p). */
  dropout = 0,
  /** Weight layers before the first linear one (a CNN's convs): they count in the dropout streams. */
  before = 0,
): ModelConfig {
  const sizes = [...hidden, classes];
  return {
    input: [...input],
    layers: [
      { type: 'Flatten' },
      ...sizes.flatMap((out, i): ModuleJson[] => [
        { type: 'Linear', out, name: `fc${i + 1}` },
        ...(i + 1 < sizes.length ? hiddenTail(dropout, before + i) : []),
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
  dropout = 0,
): ModelConfig {
  const fc = studyFcModel(hidden, [1], classes, dropout, conv.length).layers.slice(1); // its linear layers, without the flatten
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
    ? studyCnnModel(c.conv ?? STUDY_CONV, c.hidden, inputOf(c), classesOf(c), c.dropout)
    : studyFcModel(c.hidden, inputOf(c), classesOf(c), c.dropout);
}

/** The study's FC or CNN of a config as a Sequential, initialised from the config's seed (or given `params` by name). */
export function studyModel(c: TrainConfig, backend: Backend = defaultBackend(), params?: Param[]): Sequential {
  const spec = studyModelConfig(c);
  return new Sequential(
    spec.input,
    spec.layers.map((l, i) => moduleFromJson(l, `layers[${i}]`)),
    c.seed,
    params,
    backend,
  );
}

/**
 * The nets of the study from their weight layers (fcLayers, cnnLayers): convs with ReLU,
 * linear layers with ReLU and dropout (drop probability `dropout`) but the last. Weights and
 * dropout masks as the study's nets have always drawn them from `seed`.
 */
export function modelOfLayers(
  layers: LayerSpec[],
  dropout: number,
  seed: number,
  backend: Backend = defaultBackend(),
  /** Parameters by name (fc1.weight, …) instead of the seeded init. */
  params?: Param[],
): Sequential {
  const first = layers[0];
  const convs = layers.filter((l) => l.kind === 'conv');
  const linear = layers.filter((l) => l.kind === 'linear');
  const input = first.kind === 'conv' ? [first.inChannels, first.height, first.width] : [first.inDim];
  const json: ModuleJson[] = [
    ...convs.flatMap((l): ModuleJson[] => [
      { type: 'Conv2d', out: l.outChannels, kernel: l.kernel, padding: l.padding, stride: l.stride, name: l.name },
      { type: 'ReLU' },
    ]),
    ...(convs.length ? [{ type: 'Flatten' } as ModuleJson] : []),
    ...linear.flatMap((l, i): ModuleJson[] => [
      { type: 'Linear', out: l.kind === 'linear' ? l.outDim : 0, name: l.name },
      ...(i + 1 < linear.length ? hiddenTail(dropout, convs.length + i) : []),
    ]),
  ];
  return new Sequential(
    input,
    json.map((l, i) => moduleFromJson(l, `layers[${i}]`)),
    seed,
    params,
    backend,
  );
}
