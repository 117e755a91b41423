import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode } from '../../scripts/build.mjs';
import { cliRunner } from './run-cli';
import { useGpu } from '../helpers';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { readBytes, writeAtomic } from '../../src/io/files';
import { loadModelBytes } from '../../src/nn/model';
import { accuracy } from '../../src/nn/evaluate';
import { modelOfLayers } from '../../src/nn/study-models';
import { fcLayers } from '../../src/nn/layer-spec';

useGpu();

const { run: runArgs } = cliRunner('diverge');
const run = (...args: string[]) => runArgs(args);
beforeAll(() => buildNode({ sparsegrad: 'src/cli/main.ts' }));

describe('numbers are checked: a diverged run is never saved as a result', () => {
  it('train --lr-schedule 20:1e38 stops with a non-zero exit and one line, keeping the finite iteration-20 checkpoint', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'diverge-')), 'run');
    const r = run(
      'train',
      '--hidden',
      '16',
      '--iterations',
      '60',
      '--eval-every',
      '20',
      '--batch',
      '50',
      '--lr-schedule',
      '20:1e38',
      '--out',
      out,
    );
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    const message = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('Warning:'));
    expect(message).toHaveLength(1);
    expect(message[0]).toMatch(
      /^sparsegrad: training diverged: (the loss is (NaN|Infinity)|\d+ of \d+ values of fc\d\.\w+ are NaN or ±Inf) at iteration (2[1-9]|[34]\d)( \(lr [^)]+\))?; stopped/,
    );
    const saved = JSON.parse(readFileSync(join(out, 'train.json'), 'utf8'));
    expect(saved.status).toBe('running');
    expect(saved.iteration).toBe(20);
    const file = join(out, 'model.safetensors');
    for (const a of decodeSafetensors(readBytes(file), file).arrays)
      expect(a.data.every(Number.isFinite), a.name).toBe(true);
    // The kept checkpoint is usable: eval reads it.
    const ok = run('eval', '--model', file, '--test-images', '100', '--out', join(out, 'eval.json'));
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('a checkpoint holding NaN or Inf is refused by every loader, naming the tensor', async () => {
    const net = modelOfLayers(fcLayers([4, 3, 2]), 0, 1);
    const { modelToSafetensors } = await import('../../src/nn/checkpoint');
    const bytes = await modelToSafetensors(net, {
      ...(await import('../../src/nn/config')).DEFAULT_CONFIG,
      hidden: [3],
      input: [1, 2, 2],
      classes: 2,
    });
    const { arrays, metadata } = decodeSafetensors(bytes, 'x');
    arrays[0].data[1] = Number.NaN;
    arrays[2].data[0] = Number.POSITIVE_INFINITY;
    const file = join(mkdtempSync(join(tmpdir(), 'nan-')), 'model.safetensors');
    writeAtomic(file, encodeSafetensors(arrays, metadata));
    expect(() => loadModelBytes(readBytes(file), file)).toThrow(
      /model\.safetensors: 1 of 12 values of fc1\.weight are NaN or ±Inf/,
    );
    const r = run('eval', '--model', file, '--out', `${file}.eval.json`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/fc1\.weight are NaN or ±Inf .*refusing to use it/);
    net.dispose();
  });

  it('an empty evaluation set is an error, not NaN%', async () => {
    const net = modelOfLayers(fcLayers([4, 2]), 0, 1);
    const empty = {
      images: new Float32Array(0),
      labels: new Uint8Array(0),
      count: 0,
      pixels: 4,
      shape: [1, 2, 2],
      source: 'empty.idx',
    };
    await expect(accuracy(net, empty)).rejects.toThrow(/empty\.idx: no images to evaluate on/);
    net.dispose();
  });
});
