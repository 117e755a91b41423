import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { DataError } from '../../src/util/errors';
import { HOSTILE_SAFETENSORS as CASES } from './hostile-safetensors';

describe('safetensors are read as strictly as the reference loader reads them', () => {
  for (const [what, bytes, message] of CASES)
    it(`refuses ${what}`, () => {
      let error: unknown;
      try {
        decodeSafetensors(bytes, 'm.st');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toMatch(/^m\.st: /);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });

  it('reads what it writes, including empty tensors', () => {
    const arrays = [
      { name: 'a', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      { name: 'empty', shape: [0, 3], data: new Float32Array(0) },
      { name: 'b', shape: [1], data: Float32Array.of(-0) },
    ];
    const back = decodeSafetensors(encodeSafetensors(arrays, { k: 'v' }), 'x.st');
    expect(back.metadata).toEqual({ k: 'v' });
    expect(back.arrays.map((a) => [a.name, a.shape, [...a.data]])).toEqual(
      arrays.map((a) => [a.name, a.shape, [...a.data]]),
    );
  });
});
