import { ShaderError } from './errors';

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
