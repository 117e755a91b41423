import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { lockFolder } from '../../src/io/lock';
import { join } from 'node:path';
// @ts-expect-error: plain JS beside the CLI's launcher, no declarations
import { driverWarningFilter } from '../../bin/driver-warnings.js';

const REDUCED =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const REDUCED_STORAGE = REDUCED.replace('Uniform', 'Storage');

const withoutDriverWarnings = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => !/artificially reduced .* to fit dynamic offset allocation limit/.test(l))
    .join('\n');

function filtered(chunks: string[]): { out: string; writes: string[] } {
  const writes: string[] = [];
  const f = driverWarningFilter((s: string) => writes.push(s));
  for (const c of chunks) f.push(c);
  f.end();
  return { out: writes.join(''), writes };
}

describe("the CLI's stderr filter", () => {
  it('drops the two limit warnings and nothing else, however the chunks fall', () => {
    const text = `${REDUCED}\n${REDUCED_STORAGE}\nWarning: something else\nsparsegrad: --lr "x" is bad\n`;
    const want = 'Warning: something else\nsparsegrad: --lr "x" is bad\n';
    expect(filtered([text]).out).toBe(want);
    // Split at every position: the same result.
    for (let i = 1; i < text.length; i += 7) expect(filtered([text.slice(0, i), text.slice(i)]).out).toBe(want);
    expect(filtered([...text]).out).toBe(want);
  });

  it('passes a progress bar (no newline) through at once, and keeps an unfinished last line', () => {
    const { writes } = filtered(['\rtrain [====    ] 40/100', '\rtrain [=====   ] 50/100']);
    expect(writes).toEqual(['\rtrain [====    ] 40/100', '\rtrain [=====   ] 50/100']);
    expect(filtered(['Warning: half a line']).out).toBe('Warning: half a line');
  });
});

describe('the CLI launcher', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/sparsegrad.js', ...args], { encoding: 'utf8' });
  const train = (out: string, extra: string[] = []) =>
    cli([
      'train',
      '--hidden',
      '8',
      '--iterations',
      '3',
      '--eval-every',
      '0',
      '--batch',
      '20',
      '--kernels',
      'rules',
      '--no-progress',
      '--out',
      out,
      ...extra,
    ]);

  it('shows the driver warnings only with --verbose; everything else on stderr is the same', () => {
    const base = mkdtempSync(join(tmpdir(), 'warn-'));
    const quiet = train(join(base, 'a'));
    const verbose = train(join(base, 'b'), ['--verbose']);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(verbose.status, verbose.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/artificially reduced/);
    expect(quiet.stderr).toBe(withoutDriverWarnings(verbose.stderr));
    expect(quiet.stdout.replaceAll(join(base, 'a'), 'OUT').replace(/[\d.]+ it\/s|[\d.]+ s training/g, '')).toBe(
      verbose.stdout.replaceAll(join(base, 'b'), 'OUT').replace(/[\d.]+ it\/s|[\d.]+ s training/g, ''),
    );
  });

  it("exits with the CLI's own status and message", () => {
    for (const args of [['train', '--lr', 'fast'], ['trian'], ['eval', '--model', '/nonexistent.safetensors']]) {
      const launched = cli(args);
      const direct = spawnSync(process.execPath, ['dist/sparsegrad.js', ...args], { encoding: 'utf8' });
      expect(launched.status).not.toBe(0);
      expect([launched.status, launched.stdout, launched.stderr]).toEqual([
        direct.status,
        direct.stdout,
        withoutDriverWarnings(direct.stderr),
      ]);
    }
  });

  it('killed with SIGKILL, it leaves no run going on behind it (the run dies and its lock is free)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kill-launcher-')), 'run');
    const args = [
      'train',
      '--hidden',
      '8',
      '--iterations',
      '100000',
      '--eval-every',
      '0',
      '--batch',
      '20',
      '--kernels',
      'rules',
      '--no-progress',
      '--out',
      out,
    ];
    const launcher = spawn(process.execPath, ['bin/sparsegrad.js', ...args], { stdio: 'ignore' });
    const lock = join(out, '.lock');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const until = async (ok: () => boolean, what: string) => {
      for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 20)))
        if (Date.now() - t0 > 60_000) throw new Error(`${what}: not within 60 s`);
    };
    await until(() => existsSync(lock) && readFileSync(lock, 'utf8').includes('"pid"'), 'the run taking its lock');
    const runner = JSON.parse(readFileSync(lock, 'utf8')).pid as number;
    expect(runner).not.toBe(launcher.pid); // the run is the launcher's child
    launcher.kill('SIGKILL');
    await until(() => !alive(runner), 'the run dying with its launcher');
    lockFolder(out, 'the test')(); // a lock of a dead process is taken over, not refused
  }, 120_000);
});
