import { DataError } from '../gpu/errors.js';

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

export function decodeSafetensors(
  bytes: Uint8Array,
  file: string,
): { arrays: NamedArray[]; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new DataError(`${file}: too short for a safetensors file`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + n > bytes.length)
    throw new DataError(`${file}: header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new DataError(`${file}: header is not valid JSON (not a safetensors file?)`);
  }
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const base = 8 + n;
  const arrays: NamedArray[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (info.dtype !== 'F32')
      throw new DataError(`${file}: tensor ${name} has dtype ${info.dtype}; only F32 is supported`);
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((p, d) => p * d, 1);
    if (end - begin !== count * 4 || base + end > bytes.length)
      throw new DataError(`${file}: tensor ${name} [${info.shape}] has bad data offsets ${begin}..${end}`);
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(base + begin, base + end));
    arrays.push({ name, shape: info.shape, data });
  }
  return { arrays, metadata };
}
