import { ConfigError } from '../util/errors.js';
import { builtInLayerTypes, type LayerType } from './layers.js';

export type { LayerType } from './layers.js';

const types = new Map<string, LayerType>(Object.entries(builtInLayerTypes()));
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
