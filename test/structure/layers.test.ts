/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

// The layer map (docs/architecture.md): floors, each folder importing only folders on floors
// below its own; folders on one floor are siblings and import none of each other. The engine
// (util … nn) never imports the research floors.
const FLOORS = [
  ['util'],
  ['gpu'],
  ['tensor'],
  ['ops', 'data', 'io'],
  ['nn'],
  ['metrics', 'sparse'],
  ['adversarial'],
  ['certify', 'prune', 'detect'],
  ['study'],
  ['report'],
  ['cli'],
];
const ENGINE = FLOORS.slice(0, 5).flat();
const RESEARCH = FLOORS.slice(5).flat();
const ORDER = [...ENGINE, ...RESEARCH];
const level = (folder: string): number => FLOORS.findIndex((floor) => floor.includes(folder));

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** Folder-to-folder imports in src/, each with one file that makes it. */
function folderEdges(): Map<string, string> {
  const edges = new Map<string, string>();
  for (const file of files('src')) {
    const from = relative('src', file).split('/');
    if (from.length < 2) continue; // the entry files at src/ re-export the layers
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative('src', normalize(join(dirname(file), spec))).split('/');
      if (target[0] === '..' || target.length < 2 || target[0] === from[0]) continue;
      edges.set(`${from[0]} -> ${target[0]}`, file);
    }
  }
  return edges;
}

describe('the layer map', () => {
  const edges = folderEdges();
  it('every folder of src/ is on the map', () => {
    const folders = readdirSync('src', { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !ORDER.includes(f))).toEqual([]);
  });

  it('imports flow one way: each folder imports only folders below it (no cycle between folders)', () => {
    const upward = [...edges]
      .filter(([e]) => {
        const [a, b] = e.split(' -> ');
        return level(b) >= level(a);
      })
      .map(([e, file]) => `${e} (${file})`);
    expect(upward).toEqual([]);
  });

  it('the engine never imports the research layers; `sparsegrad` loads no research code', () => {
    const leaks = [...edges]
      .filter(([e]) => {
        const [a, b] = e.split(' -> ');
        return ENGINE.includes(a) && RESEARCH.includes(b);
      })
      .map(([e, file]) => `${e} (${file})`);
    expect(leaks).toEqual([]);
    for (const entry of ['src/index.ts', 'src/node.ts']) {
      const targets = [...readFileSync(entry, 'utf8').matchAll(/from '\.\/([a-z]+)\//g)].map((m) => m[1]);
      expect(
        targets.filter((t) => RESEARCH.includes(t)),
        entry,
      ).toEqual([]);
    }
  });
});

describe('one implementation of each idea', () => {
  const source = (dir: string) => files(dir).map((f) => [f, readFileSync(f, 'utf8')] as const);
  it('transforms are not experiments: prune/ imports nothing from certify/, and from adversarial/ only in HYDRA (its adversarial loss and freezer)', () => {
    const bad = source('src/prune').flatMap(([f, text]) =>
      [...text.matchAll(/from '\.\.\/(certify|adversarial|study)\/[^']+'/g)]
        .filter((m) => m[1] !== 'adversarial' || !f.endsWith('hydra.ts'))
        .map((m) => `${f}: ${m[0]}`),
    );
    expect(bad).toEqual([]);
  });
  it('one PGD: the signed-gradient step and its projection onto the ε-ball are written only in adversarial/pgd.ts', () => {
    const steps = files('src')
      .filter((f) => /clampAbs\(sub\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative('src', f));
    expect(steps).toEqual(['adversarial/pgd.ts']);
  });
});

describe('state lives in objects, not modules', () => {
  it('no module of src/ exports a mutable binding or a mutable object (exported tables are deep-frozen)', async () => {
    for (const file of files('src')) expect(readFileSync(file, 'utf8'), file).not.toMatch(/^export (let|var) /m);
    const modules = import.meta.glob('../../src/**/*.ts');
    const mutable: string[] = [];
    const deepFrozen = (v: unknown): boolean =>
      !v || typeof v !== 'object' || (Object.isFrozen(v) && Object.values(v as object).every(deepFrozen));
    let checked = 0;
    for (const [path, load] of Object.entries(modules)) {
      if (path.endsWith('/cli/main.ts') || path.endsWith('.d.ts')) continue; // main runs the CLI when imported
      const m = (await load()) as Record<string, unknown>;
      for (const [name, value] of Object.entries(m)) {
        checked++;
        if (typeof value === 'object' && value !== null && !deepFrozen(value)) mutable.push(`${path}: ${name}`);
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(mutable).toEqual([]);
  });
});
