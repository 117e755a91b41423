import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Untyped option reads in one source of src/cli/: commander without its typings (options then
 * read as `any`), an option cast to a type, options typed by hand or as any. Each command's
 * options are typed by their own definitions (@commander-js/extra-typings), so none is needed.
 */
function untypedOptionReads(text: string): string[] {
  const found: string[] = [];
  if (/from 'commander'/.test(text))
    found.push("imports 'commander' (options read as any): use '@commander-js/extra-typings'");
  for (const m of text.matchAll(/\bo\.\w+ as (?!const\b)[\w[\]<>|'" ]+/g)) found.push(`a cast on an option: ${m[0]}`);
  for (const m of text.matchAll(/\bo\s*:\s*(any|Record<string, (unknown|any)>)/g))
    found.push(`options typed loosely: ${m[0]}`);
  for (const m of text.matchAll(/\.action\(\s*(?:async\s*)?\(([^()]*:[^()]*)\)\s*=>/g))
    found.push(`action parameters typed by hand: (${m[1]})`);
  for (const m of text.matchAll(/\bas any\b|:\s*any\b/g)) found.push(`any: ${m[0]}`);
  return found;
}

describe('typed commands', () => {
  it('no untyped option read in src/cli/', () => {
    const dir = 'src/cli';
    const reads = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => untypedOptionReads(readFileSync(join(dir, f), 'utf8')).map((r) => `${f}: ${r}`));
    expect(reads).toEqual([]);
  });

  it('the check fails on each kind of untyped read (shown by adding one)', () => {
    const added = [
      "import { Command } from 'commander';",
      'const methods = o.method as PruneMethod[];',
      'function f(p: P, o: Record<string, unknown>) {}',
      '.action(async (o: { out: string }) => {',
      'const x = o.noise as any;',
    ];
    for (const line of added) expect(untypedOptionReads(line), line).not.toEqual([]);
    expect(untypedOptionReads("const m = o.method;\n.action(async (o) => {\nconst s = 'x' as const;")).toEqual([]);
  });
});
