import { DataError } from '../util/errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file (unsigned-byte type, as MNIST uses), gzip-compressed or raw.
 * `gunzip` is injected so the same parser serves Node (zlib) and the browser (DecompressionStream).
 */
export function parseIdx(bytes: Uint8Array, file: string, gunzip: (b: Uint8Array) => Uint8Array): IdxArray {
  let raw = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      raw = gunzip(bytes);
    } catch (e) {
      throw new DataError(`${file}: gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  }
  if (raw.length < 4) throw new DataError(`${file}: ${raw.length} bytes is too short for an IDX header`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  const type = raw[2];
  const ndim = raw[3];
  if (raw[0] !== 0 || raw[1] !== 0 || type !== 0x08 || ndim < 1 || ndim > 4) {
    throw new DataError(
      `${file}: bad IDX magic number 0x${magic.toString(16).padStart(8, '0')} (want 0x00000801 labels or 0x00000803 images, unsigned bytes)`,
    );
  }
  const header = 4 + 4 * ndim;
  if (raw.length < header)
    throw new DataError(`${file}: truncated header (${raw.length} bytes, ${header} needed for ${ndim} dimensions)`);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((p, d) => p * d, 1);
  const have = raw.length - header;
  if (have !== count) {
    throw new DataError(
      `${file}: dimensions [${dims.join('x')}] need ${count} data bytes but the file has ${have}${have < count ? ' (truncated)' : ' (trailing data)'}`,
    );
  }
  return { dims, data: raw.subarray(header) };
}
