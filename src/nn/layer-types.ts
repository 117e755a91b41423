import { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { Conv2d, Dropout, Flatten, Linear, Pool2d, ReLU, type Layer, type ModuleJson } from './layers.js';

/**
 * The layer types a model config can name: each type's keys (a zod shape, from which the
 * config's schema is made) beside the constructor that reads them. One table: a layer type,
 * built in or a user's, is one entry (Sequential, which nests, is added by the schema).
 */
export interface LayerType {
  keys: Record<string, z.ZodType>;
  make(json: Record<string, unknown>): Layer;
}

const size = z.number().int().min(1);
const pixels = z.number().int().min(0);
const padding = z.union([z.literal('same'), z.literal('valid'), pixels]);
type Json<T extends ModuleJson['type']> = Extract<ModuleJson, { type: T }>;
const pool = (type: 'MaxPool2d' | 'AvgPool2d'): LayerType => ({
  keys: { kernel: size, stride: size.optional(), padding: pixels.optional() },
  make: (j) => {
    const { kernel, stride, padding } = j as Json<typeof type>;
    return new Pool2d(type, kernel, stride, padding);
  },
});

const types = new Map<string, LayerType>([
  [
    'Linear',
    {
      keys: { out: size, in: size.optional() },
      make: (j) => new Linear((j as Json<'Linear'>).out, (j as Json<'Linear'>).in),
    },
  ],
  [
    'Conv2d',
    {
      keys: { out: size, kernel: size, padding: padding.optional(), stride: size.optional(), in: size.optional() },
      make: (j) => {
        const c = j as Json<'Conv2d'>;
        return new Conv2d(c.out, c.kernel, c.padding, c.stride, c.in);
      },
    },
  ],
  ['MaxPool2d', pool('MaxPool2d')],
  ['AvgPool2d', pool('AvgPool2d')],
  ['Flatten', { keys: {}, make: () => new Flatten() }],
  ['ReLU', { keys: {}, make: () => new ReLU() }],
  [
    'Dropout',
    {
      keys: { p: z.number().min(0).lt(1), stream: pixels.optional() },
      make: (j) => new Dropout((j as Json<'Dropout'>).p, (j as Json<'Dropout'>).stream),
    },
  ],
]);
let version = 0;

/** Adds a layer type a model config can name (`{ "type": "LeakyReLU", "slope": 0.1 }`). */
export function registerLayer(type: string, def: LayerType): void {
  if (!/^[A-Za-z_]\w*$/.test(type)) throw new ConfigError(`registerLayer: type "${type}": use letters, digits and _`);
  if (types.has(type) || type === 'Sequential')
    throw new ConfigError(`registerLayer: "${type}" is already a layer type`);
  types.set(type, def);
  version++;
}

/** The layer types (without Sequential) and a number that changes when one is added. */
export const layerTypes = (): { types: ReadonlyMap<string, LayerType>; version: number } => ({ types, version });
