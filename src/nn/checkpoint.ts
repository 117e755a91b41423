import { DataError, fmtShape } from '../util/errors.js';
import { checkFinite, metadataJson, type NamedArray } from '../io/safetensors.js';
import { decodeCheckpoint, encodeCheckpoint, paramArrays, type Checkpoint, type MaskLayout } from '../io/checkpoint.js';

export type { MaskLayout } from '../io/checkpoint.js';
import { Tensor } from '../tensor/tensor.js';
import { describeLayers, weightShape, type Param } from './layer-spec.js';
import type { Sequential } from './modules.js';
import { studyModel } from './study-models.js';
import {
  DEFAULT_CONFIG,
  CNN_DEFAULTS,
  inputOf,
  layersOf,
  migrateConfig,
  validateConfig,
  type TrainConfig,
} from './config.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';

/**
 * safetensors bytes of a model, PyTorch names and layouts, the config in __metadata__. With
 * `masks` (per weight matrix, 1 keep / 0 pruned, null for an unpruned one) the pruned weights
 * are saved as `layout` says.
 */
export async function modelToSafetensors(
  model: { params: Param[] },
  config: TrainConfig,
  masks?: (Float32Array | null)[],
  layout: MaskLayout = 'zeros',
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  return encodeCheckpoint(await paramArrays(model.params), masks, layout, {
    sparsegrad_config: JSON.stringify(config),
    ...metadata,
  });
}

/**
 * The architecture a state dict describes: conv1.weight, conv2.weight, … ([out, in, k, k],
 * square odd kernels, channels chaining) then fc1.weight, fc2.weight, … ([out, in], chaining
 * from the image or the flattened conv maps to one output per class). With no config in the
 * metadata the image is taken as square (the flattened maps' or the pixels' square root).
 */
function configFromTensors(byName: Map<string, NamedArray>, file: string, image?: readonly number[]): TrainConfig {
  const conv = [];
  const first = byName.get('conv1.weight')?.shape;
  const inChannels = first?.length === 4 ? first[1] : 1;
  let channels = inChannels;
  for (let i = 1; byName.has(`conv${i}.weight`); i++) {
    const s = byName.get(`conv${i}.weight`)!.shape;
    if (s.length !== 4 || s[2] !== s[3] || s[2] % 2 !== 1 || s[1] !== channels)
      throw new DataError(`${file}: conv${i}.weight is ${fmtShape(s)}, expected [out, ${channels}, k, k] with odd k`);
    conv.push({ channels: s[0], kernel: s[2] });
    channels = s[0];
  }
  const sizes: number[] = [];
  for (let i = 1; byName.has(`fc${i}.weight`); i++) {
    const s = byName.get(`fc${i}.weight`)!.shape;
    if (s.length !== 2) throw new DataError(`${file}: fc${i}.weight is ${fmtShape(s)}, expected [out, in]`);
    if (i === 1) sizes.push(s[1]);
    else if (s[1] !== sizes[sizes.length - 1])
      throw new DataError(
        `${file}: fc${i}.weight is ${fmtShape(s)} but fc${i - 1} has ${sizes[sizes.length - 1]} outputs`,
      );
    sizes.push(s[0]);
  }
  if (!sizes.length)
    throw new DataError(
      `${file}: no fc1.weight: not a sparsegrad/PyTorch MNIST model checkpoint (tensors: ${[...byName.keys()].slice(0, 6).join(', ')})`,
    );
  if (image && conv.length && image[0] !== inChannels)
    throw new DataError(`${file}: conv1.weight takes ${inChannels} channels, its config's images have ${image[0]}`);
  const perChannel = sizes[0] / channels,
    side = Math.round(Math.sqrt(perChannel));
  if (!image && conv.length && side * side !== perChannel)
    throw new DataError(
      `${file}: fc1 takes ${sizes[0]} inputs: not ${channels} flattened square maps (same-padded conv layers keep the image's size)`,
    );
  const input = image
    ? [...image]
    : conv.length
      ? [inChannels, side, side]
      : side * side === sizes[0]
        ? [1, side, side]
        : [1, 1, sizes[0]];
  const classes = sizes[sizes.length - 1];
  if (sizes.length < 2 || classes < 2)
    throw new DataError(`${file}: architecture ${sizes.join('-')} has no output layer of 2 or more classes`);
  const hidden = sizes.slice(1, -1);
  const base = { ...DEFAULT_CONFIG, hidden, input, classes };
  return conv.length ? { ...base, ...CNN_DEFAULTS, conv, hidden } : base;
}

/** Smallest normal float32; below it (subnormal) a weight is read as 0. */
const MIN_NORMAL = 2 ** -126;

/**
 * Subnormal weights (|w| < 2^-126, left by L2 decay) set to 0. They cannot change a float32 sum
 * of normal-sized terms, yet on CPU Vulkan drivers every multiply by one is slow: the trained
 * paper FC model has 206,410 of them in fc1, and its forward product ran 2.7× slower with
 * them (114 against 43 ms at batch 500 on lavapipe). Returns the count flushed.
 */
export function flushSubnormals(w: Float32Array): number {
  let n = 0;
  for (let i = 0; i < w.length; i++)
    if (w[i] !== 0 && Math.abs(w[i]) < MIN_NORMAL) {
      w[i] = 0;
      n++;
    }
  return n;
}

/** The same, for a model on the GPU (e.g. one just trained). */
export async function flushSubnormalWeights(model: { weights: Tensor[] }): Promise<number> {
  let n = 0;
  for (const w of model.weights) {
    const host = await w.read();
    const k = flushSubnormals(host);
    if (k) w.write(host);
    n += k;
  }
  return n;
}

/**
 * Rebuilds a model from safetensors bytes (ours, or any PyTorch state dict of conv{i} / fc{i}
 * weights and biases). Names and shapes are checked against the config in the metadata, if any.
 * Subnormal weights load as 0 (flushSubnormals).
 */
export function modelFromSafetensors(
  bytes: Uint8Array,
  file: string,
  backend: Backend = defaultBackend(),
): { model: Sequential; config: TrainConfig; masks: (Float32Array | null)[] | null } {
  return modelFromCheckpoint(decodeCheckpoint(bytes, file), file, backend);
}

/** The same, from a decoded checkpoint (loadModelBytes decodes a file once). */
export function modelFromCheckpoint(
  { arrays, masks: saved, metadata }: Checkpoint,
  file: string,
  backend: Backend = defaultBackend(),
): { model: Sequential; config: TrainConfig; masks: (Float32Array | null)[] | null } {
  checkFinite(arrays, file);
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const config: TrainConfig = metadata.sparsegrad_config
    ? {
        ...DEFAULT_CONFIG,
        ...migrateConfig(metadataJson(metadata, 'sparsegrad_config', file) as object, `${file}: sparsegrad_config`),
      }
    : configFromTensors(byName, file);
  storedConfigChecked(config, file);
  const inferred = metadata.sparsegrad_config ? configFromTensors(byName, file, inputOf(config)) : config;
  const layers = layersOf(config);
  const found = describeLayers(layersOf(inferred));
  if (describeLayers(layers) !== found)
    throw new DataError(`${file}: tensors describe ${found} but its config says ${describeLayers(layers)}`);
  const params = layers.flatMap((l) =>
    (
      [
        ['weight', weightShape(l)],
        ['bias', [weightShape(l)[0]]],
      ] as const
    ).map(([suffix, shape]) => {
      const name = `${l.name}.${suffix}`;
      const a = byName.get(name);
      if (!a) throw new DataError(`${file}: missing tensor ${name} for architecture ${describeLayers(layers)}`);
      if (a.shape.join() !== shape.join())
        throw new DataError(
          `${file}: ${name} is ${fmtShape(a.shape)}, architecture ${describeLayers(layers)} needs ${fmtShape(shape)}`,
        );
      if (suffix === 'weight') flushSubnormals(a.data);
      return { name, tensor: Tensor.fromArray(a.data, [...shape], true, backend).keep() };
    }),
  );
  const masks = saved.size ? layers.map((l) => saved.get(`${l.name}.weight`) ?? null) : null;
  return { model: studyModel(config, backend, params), config, masks };
}

/** Masks that keep a model's nonzero weights (1 where w ≠ 0): how a model saved with zeros is fine-tuned. */
export async function nonzeroMasks(model: { weights: Tensor[] }): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => (await w.read()).map((v) => (v !== 0 ? 1 : 0))));
}

/** A config read from a file, checked as a run's own config is (unknown keys and bad values named with the file). */
export function storedConfigChecked(config: TrainConfig, file: string): TrainConfig {
  try {
    return validateConfig(config);
  } catch (e) {
    throw new DataError(`${file}: sparsegrad_config: ${(e as Error).message}`);
  }
}
