// Hostile safetensors files: each with what the reader must say about it.
/** A safetensors file with this header (JSON text or value) and these data bytes. */
export function file(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const t = (dtype: string, shape: unknown, data_offsets: unknown) => ({ dtype, shape, data_offsets });
const f32 = (n: number) => new Uint8Array(n * 4);

// Each hostile file gets one DataError naming the file and what is wrong with it.
export const HOSTILE_SAFETENSORS: [string, Uint8Array, RegExp][] = [
  ['a file shorter than its length field', new Uint8Array(5), /5 bytes: too short/],
  [
    'a header length past the end',
    (() => {
      const b = file({});
      new DataView(b.buffer).setBigUint64(0, 999n, true);
      return b;
    })(),
    /header length 999 runs past the end/,
  ],
  [
    'a header length over the format limit',
    (() => {
      const b = file({});
      new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
      return b;
    })(),
    /over the format's limit/,
  ],
  ['a header that is not JSON', file('{nope'), /header is not valid UTF-8 JSON/],
  ['a null header', file('null'), /header is null, not a JSON object/],
  ['a list header', file('[1,2]'), /header is a list, not a JSON object/],
  ['metadata that is not an object', file({ __metadata__: 'x' }), /__metadata__ is "x", not an object of strings/],
  ['a metadata value that is not a string', file({ __metadata__: { a: 1 } }), /__metadata__.a is 1, not a string/],
  ['a tensor entry that is not an object', file({ w: 3 }), /tensor "w" is 3, not \{dtype, shape, data_offsets\}/],
  [
    'a missing data_offsets',
    file({ w: { dtype: 'F32', shape: [1] } }, f32(1)),
    /tensor "w" has data_offsets undefined/,
  ],
  [
    'an unknown field',
    file({ w: { ...t('F32', [1], [0, 4]), extra: 1 } }, f32(1)),
    /tensor "w" has unknown field "extra"/,
  ],
  ['an unknown dtype', file({ w: t('F31', [1], [0, 4]) }, f32(1)), /tensor "w" has unknown dtype "F31"/],
  [
    'a known dtype this reader does not take',
    file({ w: t('F16', [2], [0, 4]) }, f32(1)),
    /tensor "w" has dtype F16; only F32 is supported/,
  ],
  [
    'a shape that is not a list',
    file({ w: t('F32', 4, [0, 16]) }, f32(4)),
    /tensor "w" has shape 4: must be a list of whole numbers/,
  ],
  ['a negative dimension', file({ w: t('F32', [-1, 2], [0, 8]) }, f32(2)), /tensor "w" has shape \[-1,2\]/],
  [
    'negative offsets',
    file({ w: t('F32', [2], [-8, 0]) }, f32(2)),
    /tensor "w" has data_offsets \[-8,0\]: must be \[begin, end\], whole numbers ≥ 0/,
  ],
  ['fractional offsets', file({ w: t('F32', [1], [0.5, 4.5]) }, f32(2)), /data_offsets \[0.5,4.5\]/],
  ['begin after end', file({ w: t('F32', [0], [8, 4]) }, f32(2)), /begin after end/],
  ['offsets past the data', file({ w: t('F32', [4], [0, 16]) }, f32(2)), /past the 8 bytes of data/],
  [
    'offsets of the wrong size for the shape',
    file({ w: t('F32', [3], [0, 8]) }, f32(2)),
    /\[3\] F32 needs 12 bytes; data_offsets \[0, 8\] hold 8/,
  ],
  [
    "overlapping offsets (a bias read from the weight's bytes)",
    file({ 'fc1.weight': t('F32', [2], [0, 8]), 'fc1.bias': t('F32', [1], [4, 8]) }, f32(2)),
    /tensor "fc1.bias" at bytes 4..8 overlaps the tensor before it/,
  ],
  [
    'a gap between tensors',
    file({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, f32(3)),
    /bytes 4..8 of the data belong to no tensor/,
  ],
  [
    'bytes left over after the tensors',
    file({ a: t('F32', [1], [0, 4]) }, f32(2)),
    /the tensors cover 4 of the 8 bytes of data/,
  ],
];
