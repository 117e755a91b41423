import { DataError } from '../util/errors.js';

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** safetensors bytes (F32 only): 8-byte header length, JSON header, then the raw data. */
export function encodeSafetensors(arrays: NamedArray[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const a of arrays) {
    const bytes = a.data.length * 4;
    header[a.name] = { dtype: 'F32', shape: a.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const a of arrays) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), at);
    at += a.data.byteLength;
  }
  return out;
}

/** Bytes per element of every dtype the safetensors format defines (only F32 is read here). */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};
/** The reference loader's limit on the JSON header. */
const MAX_HEADER_BYTES = 100_000_000;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads safetensors bytes, checked as the format's own loader checks them: a JSON object header
 * of at most 100 MB; metadata of strings; for each tensor exactly dtype, shape and data_offsets,
 * a known dtype (F32 is the one read here), a shape of whole numbers ≥ 0, offsets that are whole
 * numbers, in order, of the size the shape needs, and that tile the data exactly (no gap, no
 * overlap, nothing past the end or left over). Anything else is refused in one line naming the
 * file, the tensor and the value.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  file: string,
): { arrays: NamedArray[]; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new DataError(`${file}: ${why}`);
  };
  if (bytes.length < 8) bad(`${bytes.length} bytes: too short for a safetensors file`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    bad(`header length ${n64} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.length) bad(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    bad('header is not valid UTF-8 JSON (not a safetensors file?)');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header))
    bad(`header is ${header === null ? 'null' : Array.isArray(header) ? 'a list' : typeof header}, not a JSON object`);
  const entries = Object.entries(header as Record<string, unknown>);
  const rawMeta = (header as Record<string, unknown>).__metadata__ ?? {};
  if (!rawMeta || typeof rawMeta !== 'object' || Array.isArray(rawMeta))
    bad(`__metadata__ is ${JSON.stringify(rawMeta)}, not an object of strings`);
  for (const [k, v] of Object.entries(rawMeta as object))
    if (typeof v !== 'string') bad(`__metadata__.${k} is ${JSON.stringify(v)}, not a string`);
  const metadata = rawMeta as Record<string, string>;
  const dataLength = bytes.length - 8 - n;
  const tensors = entries
    .filter(([name]) => name !== '__metadata__')
    .map(([name, info]) => {
      const where = `tensor "${name}"`;
      if (!info || typeof info !== 'object' || Array.isArray(info))
        bad(`${where} is ${JSON.stringify(info)}, not {dtype, shape, data_offsets}`);
      const fields = info as Record<string, unknown>;
      const unknown = Object.keys(fields).filter((k) => !['dtype', 'shape', 'data_offsets'].includes(k));
      if (unknown.length) bad(`${where} has unknown field ${unknown.map((k) => `"${k}"`).join(', ')}`);
      const { dtype, shape, data_offsets: offsets } = fields;
      if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES))
        bad(`${where} has unknown dtype ${JSON.stringify(dtype)}`);
      if (!Array.isArray(shape) || !shape.every(isCount))
        bad(`${where} has shape ${JSON.stringify(shape)}: must be a list of whole numbers ≥ 0`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
        bad(`${where} has data_offsets ${JSON.stringify(offsets)}: must be [begin, end], whole numbers ≥ 0`);
      const [begin, end] = offsets as [number, number];
      const count = (shape as number[]).reduce((p, d) => p * d, 1);
      if (begin > end) bad(`${where} has data_offsets [${begin}, ${end}]: begin after end`);
      if (end > dataLength) bad(`${where} has data_offsets [${begin}, ${end}] past the ${dataLength} bytes of data`);
      if (end - begin !== count * DTYPE_BYTES[dtype as string])
        bad(
          `${where} [${shape}] ${dtype} needs ${count * DTYPE_BYTES[dtype as string]} bytes; data_offsets [${begin}, ${end}] hold ${end - begin}`,
        );
      return { name, dtype: dtype as string, shape: shape as number[], begin, end };
    });
  // The tensors must tile the data: sorted by offset, each begins where the last ended.
  let at = 0;
  for (const t of [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (t.begin !== at)
      bad(
        t.begin < at
          ? `tensor "${t.name}" at bytes ${t.begin}..${t.end} overlaps the tensor before it (which ends at ${at})`
          : `bytes ${at}..${t.begin} of the data belong to no tensor (before "${t.name}")`,
      );
    at = t.end;
  }
  if (at !== dataLength) bad(`the tensors cover ${at} of the ${dataLength} bytes of data; the rest belongs to none`);
  const arrays: NamedArray[] = tensors.map((t) => {
    if (t.dtype !== 'F32') bad(`tensor "${t.name}" has dtype ${t.dtype}; only F32 is supported`);
    const data = new Float32Array((t.end - t.begin) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(8 + n + t.begin, 8 + n + t.end));
    return { name: t.name, shape: t.shape, data };
  });
  return { arrays, metadata };
}

/** Refuses tensors holding NaN or ±Inf (a diverged run's checkpoint), naming the first such tensor. */
export function checkFinite(arrays: NamedArray[], file: string): void {
  for (const a of arrays) {
    let bad = 0;
    for (let i = 0; i < a.data.length; i++) if (!Number.isFinite(a.data[i])) bad++;
    if (bad)
      throw new DataError(
        `${file}: ${bad} of ${a.data.length} values of ${a.name} are NaN or ±Inf (the run that made it diverged); refusing to use it`,
      );
  }
}

/** A JSON value stored in a file's metadata (a config, a model's layers), or a one-line error naming the key. */
export function metadataJson(metadata: Record<string, string>, key: string, file: string): unknown {
  try {
    return JSON.parse(metadata[key]);
  } catch (e) {
    throw new DataError(`${file}: ${key} is not valid JSON (${(e as Error).message})`);
  }
}
