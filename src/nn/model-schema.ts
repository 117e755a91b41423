import { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import type { ModuleJson } from './layers.js';
import { layerTypes } from './layer-types.js';

// The model config's schema (zod): each layer type with exactly its keys, sizes whole numbers
// ≥ 1, nested Sequentials; what fails is reported in one line with the key's path.
const size = z.number().int().min(1);
const name = z.string().regex(/^[A-Za-z_]\w*$/);
const layer = <T extends Record<string, z.ZodType>>(type: string, keys: T) =>
  z.strictObject({ type: z.literal(type), ...keys, name: name.optional() });

/** The schema of every registered layer type and of Sequential, made again when a type is added. */
let made: { version: number; LAYERS: Record<string, z.ZodObject>; LAYER: z.ZodType; MODEL: z.ZodType } | null = null;
function schema() {
  const { types, version } = layerTypes();
  if (made?.version === version) return made;
  const LAYERS: Record<string, z.ZodObject> = Object.fromEntries(
    [...types].map(([type, t]) => [type, layer(type, t.keys)]),
  );
  LAYERS.Sequential = layer('Sequential', { layers: z.array(z.lazy(() => LAYER)) });
  const LAYER: z.ZodType = z.discriminatedUnion('type', Object.values(LAYERS) as never);
  const MODEL = z.strictObject({ input: z.array(size).min(1), layers: z.array(LAYER) });
  made = { version, LAYERS, LAYER, MODEL };
  return made;
}

/** `layers[0].layers[2].out` from a zod path. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

/** The value at a path of the parsed input (the layer an issue is about). */
const at = (value: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    value,
  );

function message(issue: z.core.$ZodIssue, root: unknown, where: string): string {
  const path = issue.path;
  const key = String(path[path.length - 1] ?? '');
  const owner = at(root, path.slice(0, -1)) as { type?: string } | undefined;
  const type = owner?.type ?? '';
  const full = pathText(path) || where;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    const mine = at(root, path) as { type?: string };
    const shape = schema().LAYERS[mine?.type ?? '']?.shape;
    const allowed = shape ? ` (its keys: ${Object.keys(shape).join(', ')})` : ' (it takes input, layers)';
    return path.length
      ? `${pathText([...path, issue.keys[0]])}: ${mine?.type ?? 'the layer'} takes no ${keys}${allowed}`
      : `${where}: unknown key ${keys}${allowed}`;
  }
  if (issue.code === 'invalid_union' && key === 'type')
    return `${full}: unknown layer type ${JSON.stringify(at(root, path))}: use ${Object.keys(schema().LAYERS).join(', ')}`;
  const value = at(root, path);
  if (value === undefined) return `${full}: ${type || 'the model config'} needs "${key}"`;
  if (key === 'name')
    return `${full}: ${type} name ${JSON.stringify(value)}: use letters, digits and _ (it prefixes parameter names)`;
  if (!type && (key === 'input' || path[0] === 'input'))
    return `${where}: input ${JSON.stringify(at(root, ['input']))} must be whole numbers ≥ 1 (one example's shape)`;
  return `${full}: ${JSON.stringify(value)} is not a valid ${type} ${key}`;
}

/** A model config checked against the schema, or one ConfigError naming the first problem. */
export function parseModelJson(value: unknown, where = 'model config'): { input: number[]; layers: ModuleJson[] } {
  if (
    !value ||
    typeof value !== 'object' ||
    !Array.isArray((value as { layers?: unknown }).layers) ||
    !('input' in value)
  )
    throw new ConfigError(
      `${where}: needs "input" (per-example shape, e.g. [1, 28, 28]) and "layers" (a list of {type, …})`,
    );
  const r = schema().MODEL.safeParse(value);
  if (!r.success) throw new ConfigError(message(r.error.issues[0], value, where));
  return r.data as { input: number[]; layers: ModuleJson[] };
}

/** One layer checked against the schema (`path` names it in messages). */
export function parseLayerJson(value: unknown, path: string): ModuleJson {
  const r = schema().LAYER.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const inner = message({ ...issue, path: ['__layer', ...issue.path] } as z.core.$ZodIssue, { __layer: value }, path);
    throw new ConfigError(inner.replace(/^__layer/, path));
  }
  return r.data as ModuleJson;
}
