import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverFolder, writeAtomic, writeTransaction } from '../../src/io/files';

describe('atomic writes never follow a planted link', () => {
  it('a symlink at the target or at the old predictable temp name does not redirect the write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const target = join(dir, 'result.json');
    symlinkSync(victim, target);
    symlinkSync(victim, `${target}.tmp-${process.pid}`); // where earlier versions wrote
    writeAtomic(target, '{"ok": true}');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('{"ok": true}');
    // Temporary names are unpredictable and gone afterwards.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a transaction left without its commit record is undone; one with it is completed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txn-'));
    writeTransaction(dir, { a: 'a1', b: 'b1' });
    writeFileSync(join(dir, '.a.0123456789abcdef.tmp'), 'a2'); // staged, never committed
    recoverFolder(dir);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b']);
    writeFileSync(join(dir, '.a.00000000000000aa.tmp'), 'a3');
    writeFileSync(join(dir, '.b.00000000000000bb.tmp'), 'b3');
    writeFileSync(
      join(dir, 'commit.json'),
      JSON.stringify({ files: { a: '.a.00000000000000aa.tmp', b: '.b.00000000000000bb.tmp' } }),
    );
    recoverFolder(dir);
    expect([readFileSync(join(dir, 'a'), 'utf8'), readFileSync(join(dir, 'b'), 'utf8')]).toEqual(['a3', 'b3']);
    expect(existsSync(join(dir, 'commit.json'))).toBe(false);
  });
});
