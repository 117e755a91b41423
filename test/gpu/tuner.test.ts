import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTuneStore, Tuner, type Candidate, type GpuTimer } from '../../src/gpu/tuner';
import { FileTuneStore } from '../../src/io/tune-file';
import type { AdapterReport } from '../../src/gpu/device';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

/** A timer that runs the encode (so candidates see their calls) and returns scripted times. */
function fakeTimer(msOf: Record<string, number[] | number | null>) {
  const calls: string[] = [];
  let current = '';
  const timer: GpuTimer = async (encode) => {
    encode();
    const t = msOf[current];
    if (t === null) return null;
    if (typeof t === 'number') return t;
    return t.length > 1 ? t.shift()! : t[0];
  };
  const candidates = (names: string[]): Candidate[] =>
    names.map((variant) => ({
      variant,
      encode: () => {
        current = variant;
        calls.push(variant);
      },
    }));
  return { timer, calls, candidates };
}

describe('Tuner: kernel choice by measurement', () => {
  it('keeps the fastest candidate, and stores it with every median', async () => {
    const { timer, candidates } = fakeTimer({ plain: 4, subgroup: 2, tiled: [9, 1, 1.2, 0.8, 1.1, 1] });
    const store = new MemoryTuneStore();
    const tuner = new Tuner({ timer, store, minMs: 3 });
    const r = await tuner.choose('mm:a', candidates(['plain', 'subgroup', 'tiled']), 'plain');
    expect(r).toMatchObject({ winner: 'tiled', source: 'measured' });
    // tiled: warm-up 9 dropped, then 1, 1.2, 0.8 (3 runs ≥ 3 ms? 3.0 — yes) → median 1
    expect(r.record!.ms).toEqual({ plain: 4, subgroup: 2, tiled: 1 });
    expect(store.get('mm:a')!.winner).toBe('tiled');
    expect(tuner.lookup('mm:a')).toBe('tiled');
    expect(tuner.lookup('mm:other')).toBeUndefined();
  });

  it("a tie within the margin keeps the rule's choice", async () => {
    const { timer, candidates } = fakeTimer({ plain: 1.02, tiled: 1.0 });
    const tuner = new Tuner({ timer, store: new MemoryTuneStore(), tie: 0.03 });
    expect((await tuner.choose('k', candidates(['plain', 'tiled']), 'plain')).winner).toBe('plain');
    const { timer: t2, candidates: c2 } = fakeTimer({ plain: 1.1, tiled: 1.0 });
    expect(
      (
        await new Tuner({ timer: t2, store: new MemoryTuneStore(), tie: 0.03 }).choose(
          'k',
          c2(['plain', 'tiled']),
          'plain',
        )
      ).winner,
    ).toBe('tiled');
  });

  it('a cache hit measures nothing; a stored winner that is no longer a candidate is measured again', async () => {
    const { timer, calls, candidates } = fakeTimer({ plain: 2, tiled: 1 });
    const store = new MemoryTuneStore();
    store.set('k', { winner: 'tiled', ms: { plain: 2, tiled: 1 }, rule: 'plain' });
    const tuner = new Tuner({ timer, store });
    expect(await tuner.choose('k', candidates(['plain', 'tiled']), 'plain')).toMatchObject({
      winner: 'tiled',
      source: 'cache',
    });
    expect(calls).toEqual([]);
    store.set('k2', { winner: 'gone', ms: {}, rule: 'plain' });
    expect(await tuner.choose('k2', candidates(['plain', 'tiled']), 'plain')).toMatchObject({
      winner: 'tiled',
      source: 'measured',
    });
    expect(calls.length).toBeGreaterThan(0);
  });

  it('without timestamps the rule stands and nothing is stored', async () => {
    const { timer, candidates } = fakeTimer({ plain: null, tiled: null });
    const store = new MemoryTuneStore();
    const r = await new Tuner({ timer, store }).choose('k', candidates(['plain', 'tiled']), 'plain');
    expect(r).toEqual({ winner: 'plain', source: 'rule' });
    expect(store.get('k')).toBeUndefined();
  });

  it('the budget stops measuring: the rule is measured first, candidates left over are not', async () => {
    const { timer, calls, candidates } = fakeTimer({ plain: 10, subgroup: 10, tiled: 1 });
    const tuner = new Tuner({ timer, store: new MemoryTuneStore(), budgetMs: 35, minMs: 1, maxReps: 3 });
    const r = await tuner.choose('k', candidates(['tiled', 'subgroup', 'plain']), 'plain');
    expect(calls[0]).toBe('plain');
    expect(calls).not.toContain('tiled'); // 4 plain runs (40 ms) spent the budget
    expect(r).toMatchObject({ winner: 'plain', source: 'measured' });
  });

  it('repeats a candidate until its runs add up to minMs, at most maxReps times', async () => {
    const { timer, calls, candidates } = fakeTimer({ plain: 0.1, tiled: 5 });
    await new Tuner({ timer, store: new MemoryTuneStore(), minMs: 1, maxReps: 6 }).choose(
      'k',
      candidates(['plain', 'tiled']),
      'plain',
    );
    expect(calls.filter((c) => c === 'plain').length).toBe(1 + 6); // warm-up + maxReps (0.6 ms < 1)
    expect(calls.filter((c) => c === 'tiled').length).toBe(1 + 3); // warm-up + at least 3
  });

  it('a rule that is not a candidate is a programming error', async () => {
    const { timer, candidates } = fakeTimer({ plain: 1 });
    await expect(
      new Tuner({ timer, store: new MemoryTuneStore() }).choose('k', candidates(['plain']), 'tiled'),
    ).rejects.toThrow(/"tiled" is not among the candidates plain/);
  });
});

describe('FileTuneStore: winners on disk per adapter and driver', () => {
  const adapter = (description: string): AdapterReport => ({
    vendor: 'nvidia',
    architecture: 'hopper',
    device: '',
    description,
    backend: 'node',
    features: [],
    limits: {
      maxStorageBufferBindingSize: 1,
      maxComputeWorkgroupStorageSize: 1,
      maxComputeInvocationsPerWorkgroup: 1,
      maxBufferSize: 1,
    },
  });
  it('a second store of the same adapter reads what the first wrote; another driver starts empty; a damaged file is ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tune-'));
    const a = new FileTuneStore(adapter('NVIDIA 560.35'), dir);
    a.set('mm:x', { winner: 'tiled-k4', ms: { plain: 3, 'tiled-k4': 1 }, rule: 'plain' });
    expect(new FileTuneStore(adapter('NVIDIA 560.35'), dir).get('mm:x')!.winner).toBe('tiled-k4');
    expect(new FileTuneStore(adapter('NVIDIA 570.10'), dir).get('mm:x')).toBeUndefined();
    expect(JSON.parse(readFileSync(a.path, 'utf8')).format).toBe(1);
    writeFileSync(a.path, '{ not json');
    expect(new FileTuneStore(adapter('NVIDIA 560.35'), dir).get('mm:x')).toBeUndefined();
  });
});

describe('tuning a training step on this adapter', async () => {
  const { useGpu } = await import('../helpers');
  useGpu();
  it('matmul, reduction and conv shapes of a CNN step are each measured once, then read from the cache; the rules stand where nothing was measured', async () => {
    const { tuneForTraining } = await import('../../src/nn/tune');
    const { DEFAULT_CONFIG, CNN_DEFAULTS } = await import('../../src/nn/config');
    const { reduceKernel, reduceBucket } = await import('../../src/ops/reduce-axis');
    if (!backend().gpu.hasTimestamps) return;
    const store = new MemoryTuneStore();
    const tuner = new Tuner({ timer: (encode) => backend().runner.timeGpu(encode), store, minMs: 1, maxReps: 3 });
    const config = { ...DEFAULT_CONFIG, ...CNN_DEFAULTS, conv: [{ channels: 6, kernel: 3 }], hidden: [16], batch: 8 };
    try {
      const first = await tuneForTraining(config, tuner);
      const families = new Set(first.map((t) => t.bucket.split(':')[0]));
      expect([...families].sort()).toEqual(['conv', 'matmul', 'reduce']);
      expect(first.every((t) => t.source === 'measured' || t.source === 'rule')).toBe(true);
      for (const t of first.filter((x) => x.source === 'measured'))
        expect(Object.keys(t.ms!).length).toBeGreaterThanOrEqual(2);
      const again = await tuneForTraining(config, tuner);
      expect(again.filter((t) => t.source === 'measured')).toEqual([]);
      // A reduction with a stored winner runs it; one with none keeps the rule.
      const r = first.find((t) => t.bucket.startsWith('reduce:') && t.source === 'measured')!;
      const [outer, reduced, inner] = r.bucket.split(':')[1].split('x').map(Number);
      expect(reduceBucket(outer, reduced, inner)).toBe(r.bucket);
      expect(reduceKernel(backend(), outer, inner, reduced)).toBe(r.winner);
      expect(reduceKernel(backend(), 3, 5, 7)).toBe('tree'); // nothing measured at that size: the rule (15 outputs)
    } finally {
      backend().kernels.tuner = null;
    }
  });
});
