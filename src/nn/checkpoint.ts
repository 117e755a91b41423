import { DataError, fmtShape } from '../gpu/errors';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { Tensor } from '../tensor/tensor';
import { FcNet } from './fc';
import type { TrainConfig } from './config';

/** safetensors bytes of a model, PyTorch names and layouts, the config in __metadata__. */
export async function modelToSafetensors(model: FcNet, config: TrainConfig): Promise<Uint8Array> {
  const arrays = await Promise.all(model.params.map(async (p) => ({ name: p.name, shape: [...p.tensor.shape], data: await p.tensor.read() })));
  return encodeSafetensors(arrays, { format: 'pt', sparsegrad_config: JSON.stringify(config) });
}

/** Rebuilds a model from safetensors bytes; every name and shape is checked against the config. */
export function modelFromSafetensors(bytes: Uint8Array, file: string): { model: FcNet; config: TrainConfig } {
  const { arrays, metadata } = decodeSafetensors(bytes, file);
  if (!metadata.sparsegrad_config) throw new DataError(`${file}: no sparsegrad_config in the metadata (not a sparsegrad checkpoint)`);
  const config = JSON.parse(metadata.sparsegrad_config) as TrainConfig;
  const sizes = [784, ...config.hidden, 10];
  const byName = new Map(arrays.map((a) => [a.name, a]));
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
