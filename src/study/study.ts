import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapterName, type Gpu } from '../gpu/device';
import { writeAtomic, readBytes } from '../io/files';
import { ConfigError } from '../gpu/errors';
import { loadData } from '../data/node-loader';
import type { Split } from '../data/dataset';
import { DEFAULT_CONFIG, type TrainConfig } from '../nn/config';
import { trainModel, type TrainProgress } from '../nn/train';
import { finishRun, loadCheckpoint, saveCheckpoint } from '../nn/run-files';
import { modelFromSafetensors } from '../nn/checkpoint';
import type { Net } from '../nn/net';
import { makeNoise, DEFAULT_NOISE, type NoiseSettings } from '../adversarial/noise';
import { loadNoise, saveNoise } from '../adversarial/noise-files';
import type { NoiseVector } from '../adversarial/evaluate';
import { runSweep, sweepUnits, type SweepRow, type SweepSpec, type SweepModel } from '../prune/sweep';
import { SweepFiles } from '../prune/sweep-files';
import type { PruneMethod } from '../prune/prune';
import { writeReport } from '../report/report';

/** The study's eight noise vectors (target / limit). */
export const STUDY_VECTORS: [number, number][] = [[3, 0.25], [2, 0.25], [1, 0.15], [5, 0.1], [5, 0.35], [8, 0.2], [7, 0.3], [9, 0.2]];

export interface StudyPreset {
  data: string;
  train: Partial<TrainConfig>;
  noiseSteps: number;
  ratios: number[];
  /** Sweeps: each method over each scope list. */
  sweeps: { methods: PruneMethod[]; scopes: string[] }[];
  calibration: number;
}

const range = (a: number, b: number, step: number) => Array.from({ length: Math.floor((b - a) / step + 1e-9) + 1 }, (_, i) => Math.round((a + i * step) * 1e6) / 1e6);

export const STUDY_PRESETS: Record<string, StudyPreset> = {
  // Minutes on a 2-core CPU: a narrower FC net on the embedded digits, 20 ratios.
  default: {
    data: 'embedded', train: { hidden: [256, 128], iterations: 600, evalEvery: 200 }, noiseSteps: 200, ratios: range(0, 0.95, 0.05), calibration: 2000,
    sweeps: [{ methods: ['abs', 'act', 'combined'], scopes: ['per-matrix'] }, { methods: ['abs', 'act'], scopes: ['layer:1', 'layer:2', 'layer:3'] }],
  },
  // The study's settings: full MNIST, 784-1500-1000-800-10, ratios 0–0.99.
  paper: {
    data: '', train: { iterations: 10000, evalEvery: 1000 }, noiseSteps: 500, ratios: range(0, 0.99, 0.01), calibration: 2000,
    sweeps: [{ methods: ['abs', 'act', 'combined'], scopes: ['per-matrix'] }, { methods: ['abs', 'act'], scopes: ['layer:1', 'layer:2', 'layer:3', 'layer:4'] }],
  },
};

export interface StudyOptions { preset: StudyPreset; out: string; seeds: number[]; models?: string[]; data?: string; log: (line: string) => void; progress?: (what: string, done: number, total: number) => void }

/**
 * The main job: train (or load) the linear-quadratic FC model for each seed, make the eight
 * noise vectors, sweep pruning methods and scopes, and write a results folder. Every stage
 * resumes from what an interrupted run left.
 */
export async function runStudy(g: Gpu, o: StudyOptions): Promise<unknown> {
  const p = o.preset;
  const source = o.data ?? p.data;
  if (!source) throw new ConfigError('this preset runs on full MNIST: pass --data <folder with the four MNIST IDX files>');
  const data = loadData(source);
  const t0 = performance.now();
  o.log(`data: ${data.name} (${data.train.count} train / ${data.test.count} test)`);
  const models: SweepModel[] = [];
  for (const [i, seed] of o.seeds.entries()) {
    const file = o.models?.[i];
    const { model, path, accuracy } = file ? loadGiven(file) : await trainSeed(g, o, data, seed);
    o.log(`model seed ${seed}: ${path}${accuracy !== null ? `, test accuracy ${(100 * accuracy).toFixed(2)}%` : ''}`);
    models.push({ name: path, seed, model, weights: await Promise.all(model.weights.map((w) => w.read())) });
  }
  // Noise is made on the first seed's model, as the study made it on its trained model.
  const noises: NoiseVector[] = [];
  for (const [k, [target, limit]] of STUDY_VECTORS.entries()) {
    const dir = join(o.out, 'noise');
    const file = join(dir, `noise-t${target}-l${limit}.safetensors`);
    const s: NoiseSettings = { ...DEFAULT_NOISE, steps: p.noiseSteps, target, limit };
    if (!existsSync(file)) {
      const noise = await makeNoise(models[0].model, data.train, s, (step) => o.progress?.(`noise ${target}/${limit}`, step, s.steps));
      saveNoise(dir, noise, s, models[0].name, data.test);
    }
    noises.push(loadNoise(file));
    o.log(`noise ${k + 1}/${STUDY_VECTORS.length}: ${target}/${limit}`);
  }
  const sweeps: Record<string, SweepRow[]> = {};
  for (const [k, sw] of p.sweeps.entries()) {
    const spec: SweepSpec = { methods: sw.methods, scopes: sw.scopes, ratios: p.ratios, calibration: p.calibration, combinedOffset: 0.07, seed: 1 };
    const name = `sweep-${sw.scopes.length === 1 ? sw.scopes[0] : 'per-layer'}`;
    const files = new SweepFiles(join(o.out, name), { tool: 'sparsegrad sweep', spec, models: models.map((m) => ({ name: m.name, seed: m.seed })), noises: noises.map((n) => n.name), data: data.name, adapter: adapterName(g.adapter) });
    const units = sweepUnits(spec, models);
    const todo = files.resume(units);
    let done = units.length - todo.length;
    await runSweep(spec, models, data.test, noises, todo, (_u, rows) => { files.add(rows); o.progress?.(`sweep ${k + 1}/${p.sweeps.length} (${name})`, ++done, units.length); });
    sweeps[name] = files.rows;
    o.log(`${name}: ${units.length} units → ${files.csv}`);
  }
  const summary = summarise(sweeps, noises);
  o.log(`report: ${writeReport(o.out)}`);
  writeAtomic(join(o.out, 'study.json'), JSON.stringify({ tool: 'sparsegrad study', data: data.name, adapter: g.adapter, seeds: o.seeds, models: models.map((m) => m.name), noises: noises.map((n) => n.name), preset: p, summary, seconds: (performance.now() - t0) / 1000 }, null, 2));
  return summary;
}

function loadGiven(file: string): { model: Net; path: string; accuracy: null } {
  return { model: modelFromSafetensors(readBytes(file), file).model, path: file, accuracy: null };
}

async function trainSeed(g: Gpu, o: StudyOptions, data: Split, seed: number): Promise<{ model: Net; path: string; accuracy: number }> {
  const config: TrainConfig = { ...DEFAULT_CONFIG, ...o.preset.train, loss: 'quadratic', seed };
  const dir = join(o.out, `model-seed${seed}`);
  const jsonFile = join(dir, 'train.json');
  if (existsSync(jsonFile) && JSON.parse(readFileSync(jsonFile, 'utf8')).status === 'finished') {
    const saved = JSON.parse(readFileSync(jsonFile, 'utf8'));
    return { model: modelFromSafetensors(readBytes(join(dir, 'model.safetensors')), join(dir, 'model.safetensors')).model, path: join(dir, 'model.safetensors'), accuracy: saved.metrics.testAccuracy };
  }
  const resume = loadCheckpoint(dir, config, data.name) ?? undefined;
  const r = await trainModel(config, data, {
    resume,
    onProgress: (pr: TrainProgress) => o.progress?.(`train seed ${seed}`, pr.iteration, config.iterations),
    onCheckpoint: (s) => saveCheckpoint(dir, s, config, g.adapter, data.name),
  });
  finishRun(dir, r.metrics);
  return { model: r.model, path: join(dir, 'model.safetensors'), accuracy: r.metrics.testAccuracy };
}

/** Per method and scope: the highest ratio whose mean clean accuracy stays within 0.5 points of unpruned, and robustness there. */
export function summarise(sweeps: Record<string, SweepRow[]>, noises: NoiseVector[]) {
  const out = [];
  for (const rows of Object.values(sweeps)) {
    const keys = [...new Set(rows.map((r) => `${r.method}|${r.scope}`))];
    for (const key of keys) {
      const [method, scope] = key.split('|');
      const mine = rows.filter((r) => r.method === method && r.scope === scope);
      const meanAt = (ratio: number, noise: string) => { const xs = mine.filter((r) => r.ratio === ratio && r.noise === noise).map((r) => r.accuracy); return xs.reduce((a, b) => a + b, 0) / xs.length; };
      const ratios = [...new Set(mine.map((r) => r.ratio))].sort((a, b) => a - b);
      const base = meanAt(0, 'clean');
      const ok = ratios.filter((r) => meanAt(r, 'clean') >= base - 0.005);
      const best = ok.length ? ok[ok.length - 1] : 0;
      out.push({
        method, scope, cleanAtZero: base, highestRatioWithin05: best, cleanAtBest: meanAt(best, 'clean'),
        robustness: noises.map((n) => ({ noise: n.name, atZero: meanAt(0, n.name), atBest: meanAt(best, n.name), bestOverRatios: Math.max(...ratios.map((r) => meanAt(r, n.name))) })),
      });
    }
  }
  return out;
}
