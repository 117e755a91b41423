import { basename, join } from 'node:path';
import { readBytes, writeAtomic } from '../io/files.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { tilesToPng } from '../io/png.js';
import { DataError } from '../util/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { NoiseSettings } from './noise.js';
import type { NoiseVector } from './evaluate.js';

export const noiseName = (target: number, limit: number): string => `${target}/${limit}`;
export const fileStem = (target: number, limit: number): string => `noise-t${target}-l${limit}`;

/** An image shape as stored: [height, width] for one channel (as the study's 28×28 noise), else [C, H, W]. */
const storedShape = (shape: readonly number[]): number[] => (shape[0] === 1 ? shape.slice(1) : [...shape]);

/**
 * noise-t3-l0.25.safetensors (tensor "noise" of the image's shape), .png (noise + noisy
 * examples, first channel), .json.
 */
export function saveNoise(
  dir: string,
  noise: Float32Array,
  s: NoiseSettings,
  modelFile: string,
  examples: Dataset,
  extra: Record<string, unknown> = {},
): string[] {
  const stem = join(dir, fileStem(s.target, s.limit));
  const meta = { target: String(s.target), limit: String(s.limit), settings: JSON.stringify(s), model: modelFile };
  const P = examples.pixels,
    [, H, W] = examples.shape;
  writeAtomic(
    `${stem}.safetensors`,
    encodeSafetensors([{ name: 'noise', shape: storedShape(examples.shape), data: noise }], meta),
  );
  const shown = Array.from({ length: Math.min(5, examples.count) }, (_, k) =>
    examples.images.slice(k * P, (k + 1) * P).map((v, i) => Math.min(Math.max(v + noise[i], 0), 1)),
  );
  writeAtomic(`${stem}.png`, tilesToPng([noise.map((v) => 0.5 + v / (2 * s.limit)), ...shown], H, W));
  writeAtomic(
    `${stem}.json`,
    JSON.stringify(
      {
        name: noiseName(s.target, s.limit),
        file: basename(`${stem}.safetensors`),
        settings: s,
        model: modelFile,
        ...extra,
      },
      null,
      2,
    ),
  );
  return [`${stem}.safetensors`, `${stem}.png`, `${stem}.json`];
}

/** A noise file for images of `image` = [channels, height, width] (the data it is applied to). */
export function loadNoise(file: string, image: readonly number[]): NoiseVector {
  const { arrays, metadata } = decodeSafetensors(readBytes(file), file);
  const n = arrays.find((a) => a.name === 'noise');
  if (!n)
    throw new DataError(`${file}: no tensor named "noise" (has ${arrays.map((a) => a.name).join(', ') || 'none'})`);
  const pixels = image.reduce((a, b) => a * b, 1);
  if (n.data.length !== pixels)
    throw new DataError(
      `${file}: noise has shape [${n.shape}] (${n.data.length} values); the images are ${image.join('x')} (${pixels} values)`,
    );
  const target = Number(metadata.target);
  const limit = Number(metadata.limit);
  if (!Number.isInteger(target) || target < 0)
    throw new DataError(`${file}: metadata target "${metadata.target}" is not a class number`);
  return { target, limit, noise: n.data, name: noiseName(target, limit) };
}
