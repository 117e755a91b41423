import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { encodeSafetensors } from '../../src/io/safetensors';
import { loadNoise, saveNoise } from '../../src/adversarial/noise-files';
import { modelFromSafetensors } from '../../src/nn/checkpoint';
import { loadEmbedded } from '../../src/data/node-loader';
import { DEFAULT_NOISE } from '../../src/adversarial/noise';
import { DataError } from '../../src/util/errors';

useGpu();

const dir = mkdtempSync(join(tmpdir(), 'noise-files-'));
const f32 = (n: number) => new Float32Array(n);

describe('noise and checkpoint files', () => {
  it('noise round-trips through safetensors with its target and limit', () => {
    const noise = Float32Array.from({ length: 784 }, (_, i) => ((i % 7) - 3) / 30);
    const [file] = saveNoise(
      dir,
      noise,
      { ...DEFAULT_NOISE, target: 3, limit: 0.1 },
      'm.safetensors',
      loadEmbedded().test,
    );
    const back = loadNoise(file, [1, 28, 28]);
    expect(back).toMatchObject({ target: 3, limit: 0.1, name: '3/0.1' });
    expect(back.noise).toEqual(noise);
  });
  it('noise for images of another shape keeps that shape (3 channels of 5x4)', async () => {
    const { decodeSafetensors } = await import('../../src/io/safetensors');
    const { readFileSync } = await import('node:fs');
    const images = Float32Array.from({ length: 2 * 60 }, (_, i) => (i % 11) / 11);
    const examples = { images, labels: new Uint8Array(2), count: 2, pixels: 60, shape: [3, 5, 4], source: 'rgb' };
    const noise = Float32Array.from({ length: 60 }, (_, i) => ((i % 5) - 2) / 20);
    const [file] = saveNoise(dir, noise, { ...DEFAULT_NOISE, target: 1, limit: 0.1 }, 'm', examples);
    expect(decodeSafetensors(new Uint8Array(readFileSync(file)), file).arrays[0].shape).toEqual([3, 5, 4]);
    expect(loadNoise(file, [3, 5, 4]).noise).toEqual(noise);
    expect(() => loadNoise(file, [1, 28, 28])).toThrow(
      /noise has shape \[3,5,4\] \(60 values\); the images are 1x28x28/,
    );
  });
  it('a noise file of the wrong shape is refused, naming file and shape', () => {
    const file = join(dir, 'bad-noise.safetensors');
    writeFileSync(
      file,
      encodeSafetensors([{ name: 'noise', shape: [27, 28], data: f32(27 * 28) }], { target: '3', limit: '0.2' }),
    );
    expect(() => loadNoise(file, [1, 28, 28])).toThrow(DataError);
    expect(() => loadNoise(file, [1, 28, 28])).toThrow(
      /bad-noise.safetensors: noise has shape \[27,28\] \(756 values\); the images are 1x28x28 \(784 values\)/,
    );
  });
  it('a checkpoint that does not match an architecture is refused', () => {
    const broken = encodeSafetensors([
      { name: 'fc1.weight', shape: [20, 784], data: f32(20 * 784) },
      { name: 'fc1.bias', shape: [20], data: f32(20) },
      { name: 'fc2.weight', shape: [10, 21], data: f32(10 * 21) },
      { name: 'fc2.bias', shape: [10], data: f32(10) },
    ]);
    expect(() => modelFromSafetensors(broken, 'x.safetensors')).toThrow(
      /x.safetensors: fc2.weight is \[10,21\] but fc1 has 20 outputs/,
    );
    const wrongOut = encodeSafetensors([
      { name: 'fc1.weight', shape: [1, 784], data: f32(784) },
      { name: 'fc1.bias', shape: [1], data: f32(1) },
    ]);
    expect(() => modelFromSafetensors(wrongOut, 'y.safetensors')).toThrow(
      /architecture 784-1 has no output layer of 2 or more classes/,
    );
    const cfg = { sparsegrad_config: JSON.stringify({ hidden: [30], keep: 1 }) };
    const mismatch = encodeSafetensors(
      [
        { name: 'fc1.weight', shape: [20, 784], data: f32(20 * 784) },
        { name: 'fc1.bias', shape: [20], data: f32(20) },
        { name: 'fc2.weight', shape: [10, 20], data: f32(200) },
        { name: 'fc2.bias', shape: [10], data: f32(10) },
      ],
      cfg,
    );
    expect(() => modelFromSafetensors(mismatch, 'z.safetensors')).toThrow(
      /tensors describe 784-20-10 but its config says 784-30-10/,
    );
  });
});
