import { ShaderError } from '../util/errors.js';

/** What a kernel's binding holds: a storage buffer it reads, one it writes, or its uniforms. */
export type BindingKind = 'read' | 'read_write' | 'uniform';

const BINDING =
  /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*(storage|uniform)\s*(?:,\s*(read|read_write)\s*)?>/g;

/**
 * The bindings of group 0 as a kernel declares them, in binding order. Kernels bind their
 * storage buffers at 0..n−1 and their uniforms (if any) last at n: the runner relies on it.
 */
export function bindingsOf(source: string, file: string): BindingKind[] {
  const kinds: BindingKind[] = [];
  for (const m of source.matchAll(BINDING)) {
    const binding = Number(m[1]);
    if (kinds[binding] !== undefined) throw new ShaderError(`${file}: binding ${binding} is declared twice`);
    kinds[binding] = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'read_write' : 'read';
  }
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === undefined)
      throw new ShaderError(`${file}: bindings must be 0..${kinds.length - 1} without gaps; ${i} is missing`);
    if (kinds[i] === 'uniform' && i !== kinds.length - 1)
      throw new ShaderError(`${file}: the uniform binding must be the last one (it is ${i} of ${kinds.length})`);
  }
  return kinds;
}

/** One field of a kernel's uniform struct: where it sits (in 4-byte words) and how many it holds. */
export interface UniformField {
  name: string;
  type: 'u32' | 'i32' | 'f32';
  /** Offset in 4-byte words, by WGSL's alignment rules (vecN of 4-byte scalars: 8 or 16 bytes). */
  offset: number;
  /** 1 for a scalar, N for a vecN. */
  count: number;
}

const UNIFORM_VAR = /var\s*<\s*uniform\s*>\s*\w+\s*:\s*(\w+)\s*;/;
const SCALAR: Record<string, { type: UniformField['type']; count: number }> = {
  u32: { type: 'u32', count: 1 },
  i32: { type: 'i32', count: 1 },
  f32: { type: 'f32', count: 1 },
};
for (const n of [2, 3, 4])
  for (const t of ['u32', 'i32', 'f32'] as const) {
    SCALAR[`vec${n}<${t}>`] = { type: t, count: n };
    SCALAR[`vec${n}${t[0]}`] = { type: t, count: n };
  }

/**
 * The fields of a kernel's uniform struct, the one place its uniforms are declared: the host
 * passes them by name and the runner packs each at its offset with its type. Null for a kernel
 * without uniforms.
 */
export function uniformFieldsOf(source: string, file: string): UniformField[] | null {
  const v = UNIFORM_VAR.exec(source);
  if (!v) return null;
  const struct = new RegExp(`struct\\s+${v[1]}\\s*\\{([^}]*)\\}`).exec(source);
  if (!struct) throw new ShaderError(`${file}: no struct ${v[1]} for its uniforms`);
  const fields: UniformField[] = [];
  let words = 0;
  for (const part of struct[1].split(/[,;\n]/)) {
    const m = /^\s*(\w+)\s*:\s*([\w<>]+)\s*$/.exec(part);
    if (!m) {
      if (part.trim()) throw new ShaderError(`${file}: cannot read uniform field "${part.trim()}"`);
      continue;
    }
    const kind = SCALAR[m[2]];
    if (!kind)
      throw new ShaderError(`${file}: uniform ${m[1]} has type ${m[2]}; use 4-byte scalars or vectors of them`);
    const align = kind.count === 1 ? 1 : kind.count === 2 ? 2 : 4;
    words = Math.ceil(words / align) * align;
    fields.push({ name: m[1], type: kind.type, offset: words, count: kind.count });
    words += kind.count;
  }
  return fields;
}
