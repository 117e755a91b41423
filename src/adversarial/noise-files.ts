import { basename, join } from 'node:path';
import { readBytes, writeAtomic } from '../io/files';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { tilesToPng } from '../io/png';
import { DataError } from '../gpu/errors';
import type { Dataset } from '../data/dataset';
import type { NoiseSettings } from './noise';
import type { NoiseVector } from './evaluate';

export const noiseName = (target: number, limit: number): string => `${target}/${limit}`;
const fileStem = (target: number, limit: number): string => `noise-t${target}-l${limit}`;

/** noise-t3-l0.25.safetensors (tensor "noise", [28, 28]), .png (noise + noisy digits), .json. */
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
  writeAtomic(`${stem}.safetensors`, encodeSafetensors([{ name: 'noise', shape: [28, 28], data: noise }], meta));
  const digits = Array.from({ length: 5 }, (_, k) =>
    examples.images.slice(k * 784, (k + 1) * 784).map((v, i) => Math.min(Math.max(v + noise[i], 0), 1)),
  );
  writeAtomic(`${stem}.png`, tilesToPng([noise.map((v) => 0.5 + v / (2 * s.limit)), ...digits], 28));
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

export function loadNoise(file: string): NoiseVector {
  const { arrays, metadata } = decodeSafetensors(readBytes(file), file);
  const n = arrays.find((a) => a.name === 'noise');
  if (!n)
    throw new DataError(`${file}: no tensor named "noise" (has ${arrays.map((a) => a.name).join(', ') || 'none'})`);
  if (n.data.length !== 784)
    throw new DataError(
      `${file}: noise has shape [${n.shape}] (${n.data.length} values); a 28x28 image (784 values) is needed`,
    );
  const target = Number(metadata.target);
  const limit = Number(metadata.limit);
  if (!Number.isInteger(target) || target < 0 || target > 9)
    throw new DataError(`${file}: metadata target "${metadata.target}" is not a digit 0–9`);
  return { target, limit, noise: n.data, name: noiseName(target, limit) };
}
