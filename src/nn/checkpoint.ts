import { DataError, fmtShape } from '../gpu/errors';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../io/safetensors';
import { Tensor } from '../tensor/tensor';
import { FcNet } from './fc';
import { DEFAULT_CONFIG, type TrainConfig } from './config';

/** safetensors bytes of a model, PyTorch names and layouts, the config in __metadata__. */
export async function modelToSafetensors(model: FcNet, config: TrainConfig): Promise<Uint8Array> {
  const arrays = await Promise.all(model.params.map(async (p) => ({ name: p.name, shape: [...p.tensor.shape], data: await p.tensor.read() })));
  return encodeSafetensors(arrays, { format: 'pt', sparsegrad_config: JSON.stringify(config) });
}

/** Layer widths read off fc1.weight, fc2.weight, … ([out, in] each), checked to chain 784 → … → 10. */
function sizesFromTensors(byName: Map<string, NamedArray>, file: string): number[] {
  const sizes: number[] = [];
  for (let i = 1; byName.has(`fc${i}.weight`); i++) {
    const w = byName.get(`fc${i}.weight`)!;
    if (w.shape.length !== 2) throw new DataError(`${file}: fc${i}.weight is ${fmtShape(w.shape)}, expected [out, in]`);
    if (i === 1) sizes.push(w.shape[1]);
    else if (w.shape[1] !== sizes[sizes.length - 1]) throw new DataError(`${file}: fc${i}.weight is ${fmtShape(w.shape)} but fc${i - 1} has ${sizes[sizes.length - 1]} outputs`);
    sizes.push(w.shape[0]);
  }
  if (!sizes.length) throw new DataError(`${file}: no fc1.weight: not an FC model checkpoint (tensors: ${[...byName.keys()].slice(0, 6).join(', ')})`);
  if (sizes[0] !== 784 || sizes[sizes.length - 1] !== 10) throw new DataError(`${file}: architecture ${sizes.join('-')} does not map 784 pixels to 10 classes`);
  return sizes;
}

/**
 * Rebuilds a model from safetensors bytes (ours, or any PyTorch state dict of fc{i}.weight /
 * fc{i}.bias). Names and shapes are checked against the config in the metadata, if any.
 */
export function modelFromSafetensors(bytes: Uint8Array, file: string): { model: FcNet; config: TrainConfig } {
  const { arrays, metadata } = decodeSafetensors(bytes, file);
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const found = sizesFromTensors(byName, file);
  const config: TrainConfig = metadata.sparsegrad_config ? JSON.parse(metadata.sparsegrad_config) : { ...DEFAULT_CONFIG, hidden: found.slice(1, -1) };
  const sizes = [784, ...config.hidden, 10];
  if (sizes.join('-') !== found.join('-')) throw new DataError(`${file}: tensors describe ${found.join('-')} but its config says ${sizes.join('-')}`);
  const params = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    for (const [suffix, shape] of [['weight', [sizes[i + 1], sizes[i]]], ['bias', [sizes[i + 1]]]] as const) {
      const name = `fc${i + 1}.${suffix}`;
      const a = byName.get(name);
      if (!a) throw new DataError(`${file}: missing tensor ${name} for architecture ${sizes.join('-')}`);
      if (a.shape.join() !== shape.join()) throw new DataError(`${file}: ${name} is ${fmtShape(a.shape)}, architecture ${sizes.join('-')} needs ${fmtShape(shape)}`);
      params.push({ name, tensor: Tensor.fromArray(a.data, shape, true).keep() });
    }
  }
  return { model: new FcNet(sizes, params, config.keep), config };
}
