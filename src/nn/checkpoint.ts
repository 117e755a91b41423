import { DataError, fmtShape } from '../gpu/errors';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../io/safetensors';
import { Tensor } from '../tensor/tensor';
import { Net, IMAGE_SIDE, describeLayers, weightShape } from './net';
import { DEFAULT_CONFIG, CNN_DEFAULTS, layersOf, type TrainConfig } from './config';

/** safetensors bytes of a model, PyTorch names and layouts, the config in __metadata__. */
export async function modelToSafetensors(model: Net, config: TrainConfig): Promise<Uint8Array> {
  const arrays = await Promise.all(model.params.map(async (p) => ({ name: p.name, shape: [...p.tensor.shape], data: await p.tensor.read() })));
  return encodeSafetensors(arrays, { format: 'pt', sparsegrad_config: JSON.stringify(config) });
}

/**
 * The architecture a state dict describes: conv1.weight, conv2.weight, … ([out, in, k, k],
 * square odd kernels, channels chaining from 1) then fc1.weight, fc2.weight, … ([out, in],
 * chaining from 784 or the flattened conv maps to 10).
 */
function configFromTensors(byName: Map<string, NamedArray>, file: string): TrainConfig {
  const conv = [];
  let channels = 1;
  for (let i = 1; byName.has(`conv${i}.weight`); i++) {
    const s = byName.get(`conv${i}.weight`)!.shape;
    if (s.length !== 4 || s[2] !== s[3] || s[2] % 2 !== 1 || s[1] !== channels) throw new DataError(`${file}: conv${i}.weight is ${fmtShape(s)}, expected [out, ${channels}, k, k] with odd k`);
    conv.push({ channels: s[0], kernel: s[2] });
    channels = s[0];
  }
  const sizes: number[] = [];
  for (let i = 1; byName.has(`fc${i}.weight`); i++) {
    const s = byName.get(`fc${i}.weight`)!.shape;
    if (s.length !== 2) throw new DataError(`${file}: fc${i}.weight is ${fmtShape(s)}, expected [out, in]`);
    if (i === 1) sizes.push(s[1]);
    else if (s[1] !== sizes[sizes.length - 1]) throw new DataError(`${file}: fc${i}.weight is ${fmtShape(s)} but fc${i - 1} has ${sizes[sizes.length - 1]} outputs`);
    sizes.push(s[0]);
  }
  if (!sizes.length) throw new DataError(`${file}: no fc1.weight: not a sparsegrad/PyTorch MNIST model checkpoint (tensors: ${[...byName.keys()].slice(0, 6).join(', ')})`);
  const flat = conv.length ? channels * IMAGE_SIDE * IMAGE_SIDE : 784;
  if (sizes[0] !== flat) throw new DataError(`${file}: fc1 takes ${sizes[0]} inputs but ${conv.length ? `the flattened conv maps have ${flat}` : 'an image has 784 pixels'}`);
  if (sizes[sizes.length - 1] !== 10) throw new DataError(`${file}: architecture ${[...conv.map((c) => `conv${c.kernel}x${c.kernel}x${c.channels}`), ...sizes].join('-')} does not map 784 pixels to 10 classes`);
  const hidden = sizes.slice(1, -1);
  return conv.length ? { ...DEFAULT_CONFIG, ...CNN_DEFAULTS, conv, hidden } : { ...DEFAULT_CONFIG, hidden };
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
  for (let i = 0; i < w.length; i++) if (w[i] !== 0 && Math.abs(w[i]) < MIN_NORMAL) { w[i] = 0; n++; }
  return n;
}

/** The same, for a model on the GPU (e.g. one just trained). */
export async function flushSubnormalWeights(model: Net): Promise<number> {
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
export function modelFromSafetensors(bytes: Uint8Array, file: string): { model: Net; config: TrainConfig } {
  const { arrays, metadata } = decodeSafetensors(bytes, file);
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const inferred = configFromTensors(byName, file);
  const config: TrainConfig = metadata.sparsegrad_config ? { ...DEFAULT_CONFIG, ...JSON.parse(metadata.sparsegrad_config) } : inferred;
  const layers = layersOf(config);
  const found = describeLayers(layersOf(inferred));
  if (describeLayers(layers) !== found) throw new DataError(`${file}: tensors describe ${found} but its config says ${describeLayers(layers)}`);
  const params = layers.flatMap((l) =>
    ([['weight', weightShape(l)], ['bias', [weightShape(l)[0]]]] as const).map(([suffix, shape]) => {
      const name = `${l.name}.${suffix}`;
      const a = byName.get(name);
      if (!a) throw new DataError(`${file}: missing tensor ${name} for architecture ${describeLayers(layers)}`);
      if (a.shape.join() !== shape.join()) throw new DataError(`${file}: ${name} is ${fmtShape(a.shape)}, architecture ${describeLayers(layers)} needs ${fmtShape(shape)}`);
      if (suffix === 'weight') flushSubnormals(a.data);
      return { name, tensor: Tensor.fromArray(a.data, [...shape], true).keep() };
    }),
  );
  return { model: new Net(layers, params, config.keep), config };
}
