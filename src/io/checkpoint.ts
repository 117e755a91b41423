import { DataError, fmtShape } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors.js';

/**
 * How a pruned model is saved: 'zeros', plain weights with the pruned ones 0; or
 * 'torch-prune', torch.nn.utils.prune's layout: `fc1.weight_orig` and `fc1.weight_mask` (float
 * 0/1) instead of `fc1.weight` for every masked matrix, so that a torch.nn module with
 * prune.custom_from_mask applied loads it as it is (weight = weight_orig · weight_mask).
 */
export type MaskLayout = 'zeros' | 'torch-prune';

/** Named parameters read back as host arrays, in order (what encodeCheckpoint takes). */
export const paramArrays = (
  params: { name: string; tensor: { shape: readonly number[]; read(): Promise<Float32Array> } }[],
): Promise<NamedArray[]> =>
  Promise.all(params.map(async (p) => ({ name: p.name, shape: [...p.tensor.shape], data: await p.tensor.read() })));

/** A decoded checkpoint: its tensors (pruning masks folded in), the masks by weight name, the metadata. */
export interface Checkpoint {
  arrays: NamedArray[];
  masks: Map<string, Float32Array>;
  metadata: Record<string, string>;
}

/**
 * The one checkpoint codec: named arrays to safetensors bytes (format pt, PyTorch's names),
 * each weight with a mask (in `masks`' order over the `.weight` arrays, null for none) saved as
 * `layout` says.
 */
export function encodeCheckpoint(
  arrays: NamedArray[],
  masks: (Float32Array | null)[] | undefined,
  layout: MaskLayout,
  metadata: Record<string, string>,
): Uint8Array {
  const out: NamedArray[] = [];
  let w = 0;
  for (const a of arrays) {
    const mask = a.name.endsWith('.weight') ? (masks?.[w++] ?? null) : null;
    if (mask && mask.length !== a.data.length)
      throw new DataError(`${a.name}: mask of ${mask.length} values for ${a.data.length} weights`);
    if (!mask) out.push(a);
    else if (layout === 'zeros') out.push({ ...a, data: a.data.map((v, i) => (mask[i] ? v : 0)) });
    else out.push({ ...a, name: `${a.name}_orig` }, { name: `${a.name}_mask`, shape: a.shape, data: mask });
  }
  return encodeSafetensors(out, { format: 'pt', ...metadata });
}

/** Bytes to a checkpoint, decoded once; torch.nn.utils.prune's pairs folded (foldPruneMasks). */
export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const { arrays, metadata } = decodeSafetensors(bytes, file);
  return { ...foldPruneMasks(arrays, file), metadata };
}

/**
 * torch.nn.utils.prune's `X_orig` + `X_mask` pairs folded into `X` = orig · mask; the masks are
 * returned by name. A lone `_orig` or `_mask`, or a mask that is not 0/1, is an error.
 */
export function foldPruneMasks(
  arrays: NamedArray[],
  file: string,
): { arrays: NamedArray[]; masks: Map<string, Float32Array> } {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const masks = new Map<string, Float32Array>();
  const out: NamedArray[] = [];
  for (const a of arrays) {
    if (a.name.endsWith('_mask')) {
      if (!byName.has(`${a.name.slice(0, -5)}_orig`))
        throw new DataError(`${file}: ${a.name} has no ${a.name.slice(0, -5)}_orig beside it`);
      continue;
    }
    if (!a.name.endsWith('_orig')) {
      out.push(a);
      continue;
    }
    const name = a.name.slice(0, -5);
    const mask = byName.get(`${name}_mask`);
    if (!mask)
      throw new DataError(`${file}: ${a.name} has no ${name}_mask beside it (torch.nn.utils.prune saves both)`);
    if (mask.shape.join() !== a.shape.join())
      throw new DataError(`${file}: ${name}_mask is ${fmtShape(mask.shape)} but ${a.name} is ${fmtShape(a.shape)}`);
    const bad = mask.data.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0)
      throw new DataError(`${file}: ${name}_mask[${bad}] = ${mask.data[bad]}: a pruning mask holds only 0 and 1`);
    masks.set(name, mask.data);
    out.push({ name, shape: a.shape, data: a.data.map((v, i) => (mask.data[i] ? v : 0)) }); // orig · mask, with +0 for pruned
  }
  return { arrays: out, masks };
}
