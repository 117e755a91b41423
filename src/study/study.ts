import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { adapterName, type Gpu } from '../gpu/device.js';
import { writeAtomic, readBytes } from '../io/files.js';
import { ConfigError } from '../util/errors.js';
import { loadData } from '../data/node-loader.js';
import { splitClasses, type Split } from '../data/dataset.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../nn/config.js';
import { fitToData, trainModel, type TrainProgress } from '../nn/train.js';
import { deviceImagesFor, type DeviceImages } from '../nn/batches.js';
import { tuneForTraining, tunedLine } from '../nn/tune.js';
import type { Tuner } from '../gpu/tuner.js';
import { finishRun, loadCheckpoint, saveCheckpoint } from '../nn/run-files.js';
import { loadModelBytes, type Model } from '../nn/model.js';
import { Sequential, sequentialFromSafetensors, sequentialToSafetensors } from '../nn/modules.js';
import type { ModelCodec } from '../nn/run-files.js';
import { makeNoise, DEFAULT_NOISE, collapsed, meanAbs, type NoiseSettings } from '../adversarial/noise.js';
import { loadNoise, noiseName, saveNoise } from '../adversarial/noise-files.js';
import { DEFAULT_SUITE } from '../adversarial/suite.js';
import type { AdaptiveSpec } from '../adversarial/adaptive.js';
import { holdOut } from '../data/dataset.js';
import { flushSubnormalWeights } from '../nn/checkpoint.js';
import { COMPARED, chooseRatios, robustnessCsv, summariseStudy, type CleanRule, type StudySummary } from './summary.js';
import type { NoiseVector } from '../adversarial/evaluate.js';
import {
  runSweep,
  sweepUnits,
  unitKey,
  type SweepRow,
  type SweepSpec,
  type SweepModel,
  type SweepUnit,
  type CertifySpec,
} from './sweep.js';
import { SweepFiles } from './sweep-files.js';
import { boundGraph } from '../certify/graph.js';
import { numel } from '../tensor/shape.js';
import type { PruneMethod } from '../prune/prune.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { deepFreeze } from '../util/freeze.js';

/** Whether certify can bound the model; if not, the log says why (max-pooling, say) and the study goes on without. */
function certifiable(model: Model, log: (line: string) => void): boolean {
  try {
    boundGraph(model, [numel(model.inputShape ?? [])]).dispose();
    return true;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log(`certified bounds left out: ${e.message}`);
    return false;
  }
}

/** The study's eight noise vectors (target / limit). */
export const STUDY_VECTORS: [number, number][] = deepFreeze([
  [3, 0.25],
  [2, 0.25],
  [1, 0.15],
  [5, 0.1],
  [5, 0.35],
  [8, 0.2],
  [7, 0.3],
  [9, 0.2],
]);

export interface StudyPreset {
  data: string;
  train: Partial<TrainConfig>;
  /** Training images held out for validation (ratios are chosen on them, never on test). */
  validation: number;
  noiseSteps: number;
  ratios: number[];
  /** Sweeps: each method over each scope list. */
  /** Sweeps (folder sweep-<name>): each method over each scope. */
  sweeps: { name: string; methods: PruneMethod[]; scopes: string[] }[];
  calibration: number;
  /** Clean validation accuracy a pruned model must keep: `at least` an absolute floor, or within `drop` of the unpruned model. */
  clean: CleanRule;
  /** Attacks on each chosen pruned model (and the unpruned one) itself. */
  adaptive: Omit<AdaptiveSpec, 'ratios' | 'noiseSeed'>;
  /** Certified bounds on each of those models, beside PGD at the same ε on the same images (absent: none). */
  certify?: CertifySpec;
}

const range = (a: number, b: number, step: number) =>
  Array.from({ length: Math.floor((b - a) / step + 1e-9) + 1 }, (_, i) => Math.round((a + i * step) * 1e6) / 1e6);

export const STUDY_PRESETS: Record<string, StudyPreset> = deepFreeze({
  // Minutes on a 2-core CPU: a narrower FC net on the embedded digits, 20 ratios.
  default: {
    data: 'embedded',
    train: { hidden: [256, 128], iterations: 600, evalEvery: 200 },
    validation: 1000,
    noiseSteps: 200,
    ratios: range(0, 0.95, 0.05),
    calibration: 2000,
    sweeps: [
      { name: 'per-matrix', methods: ['abs', 'act', 'combined', 'random'], scopes: ['per-matrix'] },
      { name: 'pixel-mask', methods: ['pixel-mask'], scopes: ['layer:1'] },
      { name: 'per-layer', methods: ['abs', 'act'], scopes: ['layer:1', 'layer:2', 'layer:3'] },
    ],
    clean: { drop: 0.005 },
    adaptive: {
      recipes: ['study', 'no-penalty'],
      noiseSteps: 200,
      pgd: { ...DEFAULT_SUITE, epsilons: [0.1], steps: 20, losses: ['ce'] },
      pgdImages: null,
    },
    // ε = 0.02: where CROWN still certifies most images of a naturally trained net (docs/certify.md).
    certify: { epsilons: [0.02], methods: ['ibp', 'crown'], images: 500 },
  },
  // The study's settings: full MNIST, 784-1500-1000-800-10, ratios 0–0.99.
  paper: {
    data: '',
    train: { iterations: 10000, evalEvery: 1000 },
    validation: 5000,
    noiseSteps: 500,
    ratios: range(0, 0.99, 0.01),
    calibration: 2000,
    sweeps: [
      { name: 'per-matrix', methods: ['abs', 'act', 'combined', 'random'], scopes: ['per-matrix'] },
      { name: 'pixel-mask', methods: ['pixel-mask'], scopes: ['layer:1'] },
      { name: 'per-layer', methods: ['abs', 'act'], scopes: ['layer:1', 'layer:2', 'layer:3', 'layer:4'] },
    ],
    clean: { atLeast: 0.98 },
    adaptive: {
      recipes: ['study', 'no-penalty'],
      noiseSteps: 500,
      pgd: { ...DEFAULT_SUITE, epsilons: [0.1], steps: 100, losses: ['ce', 'margin'] },
      pgdImages: null,
    },
    certify: { epsilons: [0.02], methods: ['ibp', 'crown'], images: 200 },
  },
});

export interface StudyOptions {
  preset: StudyPreset;
  out: string;
  seeds: number[];
  models?: string[];
  /** An nn model (Sequential layers from JSON) to train per seed instead of the study's FC net. */
  modelConfig?: TrainConfig['model'];
  data?: string;
  /**
   * Kernels measured on this adapter: before the first model trains, its training step's shapes
   * are timed (or read from the tuner's cache) and the winners run from then on.
   */
  tuner?: Tuner;
  /** Where the tuner's winners are cached, for the log. */
  tunerCache?: string;
  log: (line: string) => void;
  progress?: (what: string, done: number, total: number) => void;
}

/**
 * The main job: train (or load) the linear-quadratic FC model for each seed on the training
 * images less a validation split, make the eight noise vectors on each seed's own model, sweep
 * pruning methods and the two controls (transferred noise, clean test and validation accuracy),
 * choose per method the highest ratio that keeps clean validation accuracy, and there attack
 * each pruned model itself. Every stage resumes from what an interrupted run left.
 */
export async function runStudy(g: Gpu, o: StudyOptions): Promise<StudySummary> {
  const p = o.preset;
  const source = o.data ?? p.data;
  if (!source)
    throw new ConfigError('this preset runs on full MNIST: pass --data <folder with the four MNIST IDX files>');
  const full = loadData(source);
  const { train, validation } = holdOut(full.train, p.validation);
  const data: Split = { train, test: full.test, name: full.name };
  const t0 = performance.now();
  o.log(
    `data: ${data.name} (${train.count} train / ${validation.count} validation, held out from training / ${data.test.count} test)`,
  );
  const models: SweepModel[] = [];
  for (const [i, seed] of o.seeds.entries()) {
    const file = o.models?.[i];
    const { model, path, accuracy } = file ? loadGiven(file) : await trainSeed(g, o, data, seed);
    o.log(`model seed ${seed}: ${path}${accuracy !== null ? `, test accuracy ${(100 * accuracy).toFixed(2)}%` : ''}`);
    await flushSubnormalWeights(model);
    models.push({
      name: path,
      seed,
      model,
      weights: await Promise.all(model.weights.map((w) => w.read())),
      noises: await seedNoise(o, data, model, path, seed),
    });
  }
  const sweepsRun = sweepsFor(p.sweeps, models[0].model, o.log);
  const noiseNames = STUDY_VECTORS.map(([t, l]) => noiseName(t, l));
  const header = (spec: SweepSpec) => ({
    tool: 'sparsegrad sweep' as const,
    spec,
    models: models.map((m) => ({ name: m.name, seed: m.seed })),
    noises: noiseNames,
    data: data.name,
    adapter: adapterName(g.adapter),
    validation: true,
  });
  const sweepData = { test: data.test, train, validation };
  const sweeps: Record<string, SweepRow[]> = {};
  for (const [k, sw] of sweepsRun.entries()) {
    const spec: SweepSpec = {
      methods: sw.methods,
      scopes: sw.scopes,
      ratios: p.ratios,
      calibration: p.calibration,
      calibrationFrom: 'train',
      combinedOffset: 0.07,
      seed: 1,
    };
    const name = `sweep-${sw.name}`;
    const files = new SweepFiles(join(o.out, name), header(spec));
    const units = sweepUnits(spec, models);
    const todo = files.resume(units);
    let done = units.length - todo.length;
    await runSweep(spec, models, sweepData, [], todo, (_u, rows) => {
      files.add(rows);
      o.progress?.(`sweep ${k + 1}/${sweepsRun.length} (${name})`, ++done, units.length);
    });
    sweeps[name] = files.rows;
    o.log(`${name}: ${units.length} units → ${files.csv}`);
  }
  // Adaptive attacks at each compared method's chosen ratio (and at 0), per seed.
  const transferRows = Object.values(sweeps).flat();
  const chosen = chooseRatios(transferRows, p.clean);
  const adaptiveRows: SweepRow[] = [];
  for (const m of models) {
    // The unpruned model once, then each compared method at its chosen ratio.
    const picks = COMPARED.map((c) => ({ ...c, ratio: chosen.get(`${m.seed}|${c.method}|${c.scope}`) })).filter(
      (c) => c.ratio !== undefined && c.ratio > 0,
    );
    const units: SweepUnit[] = [{ method: 'abs' as PruneMethod, scope: 'per-matrix', ratio: 0 }, ...picks].map(
      (c, index) => ({
        index,
        key: unitKey(m.name, c.method, c.scope, c.ratio!),
        model: 0,
        method: c.method,
        scope: c.scope,
        ratio: c.ratio!,
      }),
    );
    const spec: SweepSpec = {
      methods: COMPARED.map((c) => c.method),
      scopes: [...new Set(COMPARED.map((c) => c.scope))],
      ratios: units.map((u) => u.ratio),
      calibration: p.calibration,
      calibrationFrom: 'train',
      combinedOffset: 0.07,
      seed: 1,
      adaptive: { ...p.adaptive, ratios: 'all', noiseSeed: m.seed },
      ...(p.certify && certifiable(m.model, o.log) && { certify: p.certify }),
    };
    const files = new SweepFiles(join(o.out, 'adaptive', `seed${m.seed}`), {
      ...header(spec),
      models: [{ name: m.name, seed: m.seed }],
    });
    const todo = files.resume(units);
    let done = units.length - todo.length;
    await runSweep(spec, [m], sweepData, [], todo, (_unit, rows) => {
      files.add(rows); // attack failures are summed up with the findings
      o.progress?.(`adaptive attacks, seed ${m.seed}`, ++done, units.length);
    });
    adaptiveRows.push(...files.rows);
  }
  const summary = summariseStudy(adaptiveRows, chosen, p.clean);
  writeAtomic(join(o.out, 'robustness.csv'), robustnessCsv(summary));
  writeAtomic(
    join(o.out, 'study.json'),
    JSON.stringify(
      {
        tool: 'sparsegrad study',
        data: data.name,
        sweeps: Object.keys(sweeps),
        benches: existsSync(o.out) ? readdirSync(o.out).filter((f) => /^bench.*\.json$/.test(f)) : [],
        noiseDir: `noise/seed${o.seeds[0]}`,
        validation: `first ${validation.count} training images`,
        adapter: g.adapter,
        seeds: o.seeds,
        models: models.map((m) => m.name),
        noises: noiseNames,
        preset: p,
        summary,
        seconds: (performance.now() - t0) / 1000,
      },
      null,
      2,
    ),
  );
  return summary;
}

/**
 * The preset's sweeps as this model allows: per-layer scopes for the weight layers it has, and
 * the pixel-mask control only where the first weight layer is linear (a conv layer's columns
 * are filter taps, not pixels). What is left out is logged.
 */
function sweepsFor(sweeps: StudyPreset['sweeps'], model: Model, log: (l: string) => void): StudyPreset['sweeps'] {
  const layers = model.layers;
  const out: StudyPreset['sweeps'] = [];
  for (const sw of sweeps) {
    const perLayer = sw.scopes.some((s) => s.startsWith('layer:')) && sw.name === 'per-layer';
    const scopes = perLayer ? layers.map((_, i) => `layer:${i + 1}`) : sw.scopes;
    if (sw.methods.includes('pixel-mask') && layers[0].kind !== 'linear') {
      log(
        `sweep-${sw.name} left out: the pixel-mask control needs a linear first layer (this model starts with a conv)`,
      );
      continue;
    }
    out.push({ ...sw, scopes });
  }
  return out;
}

function loadGiven(file: string): { model: Model; path: string; accuracy: null } {
  return { model: loadModelBytes(readBytes(file), file).model, path: file, accuracy: null };
}

/** The eight noise vectors made on this seed's own model (noise seed = training seed). */
async function seedNoise(
  o: StudyOptions,
  data: Split,
  model: Model,
  modelPath: string,
  seed: number,
): Promise<NoiseVector[]> {
  const out: NoiseVector[] = [];
  const dir = join(o.out, 'noise', `seed${seed}`);
  let trainImages: DeviceImages | null | undefined; // uploaded once, at the first vector to make
  try {
    for (const [target, limit] of STUDY_VECTORS) {
      const file = join(dir, `noise-t${target}-l${limit}.safetensors`);
      const s: NoiseSettings = { ...DEFAULT_NOISE, steps: o.preset.noiseSteps, target, limit, seed };
      if (!existsSync(file)) {
        trainImages ??= deviceImagesFor(data.train);
        const noise = await makeNoise(
          model,
          data.train,
          s,
          (step) => o.progress?.(`noise ${target}/${limit}, seed ${seed}`, step, s.steps),
          { images: trainImages },
        );
        saveNoise(dir, noise, s, modelPath, data.test, { meanAbs: meanAbs(noise), collapsed: collapsed(noise, limit) });
      }
      out.push(loadNoise(file, data.test.shape));
      const n = out[out.length - 1];
      if (collapsed(n.noise, limit))
        o.log(
          `noise ${n.name}, seed ${seed}: mean |n| ${meanAbs(n.noise).toFixed(4)} < 0.1·limit, collapsed on its own model (its transfer rows are flagged)`,
        );
    }
  } finally {
    trainImages?.dispose();
  }
  return out;
}

async function trainSeed(
  g: Gpu,
  o: StudyOptions,
  data: Split,
  seed: number,
): Promise<{ model: Model; path: string; accuracy: number }> {
  const config: TrainConfig = {
    ...DEFAULT_CONFIG,
    ...o.preset.train,
    loss: 'quadratic',
    seed,
    ...(o.modelConfig && { model: o.modelConfig }),
  };
  const dir = join(o.out, `model-seed${seed}`);
  const jsonFile = join(dir, 'train.json');
  if (existsSync(jsonFile) && JSON.parse(readFileSync(jsonFile, 'utf8')).status === 'finished') {
    const saved = JSON.parse(readFileSync(jsonFile, 'utf8'));
    const file = join(dir, 'model.safetensors');
    return { model: loadModelBytes(readBytes(file), file).model, path: file, accuracy: saved.metrics.testAccuracy };
  }
  // An nn model trains, checkpoints and resumes like the study's net, saved with its layers.
  const codec: ModelCodec<Model> | undefined = o.modelConfig
    ? {
        save: (m) => sequentialToSafetensors(m as Sequential, { sparsegrad_config: JSON.stringify(config) }),
        load: (bytes, file) => sequentialFromSafetensors(bytes, file, o.modelConfig),
      }
    : undefined;
  const resume = loadCheckpoint<Model>(dir, config, data.name, codec) ?? undefined;
  if (o.tuner && defaultBackend().kernels.tuner !== o.tuner) {
    const tuned = await tuneForTraining(fitToData(config, data), o.tuner, {
      makeModel: o.modelConfig ? () => Sequential.fromJson(o.modelConfig!, seed) : undefined,
      classes: splitClasses(data),
    });
    o.log(tunedLine(tuned, o.tunerCache));
  }
  const init = o.modelConfig && !resume ? Sequential.fromJson(o.modelConfig, seed) : undefined;
  const r = await trainModel<Model>(config, data, {
    resume,
    init,
    onProgress: (pr: TrainProgress) => o.progress?.(`train seed ${seed}`, pr.iteration, config.iterations),
    onCheckpoint: (s) => saveCheckpoint(dir, s, config, g.adapter, data.name, undefined, codec),
  });
  finishRun(dir, r.metrics);
  return { model: r.model, path: join(dir, 'model.safetensors'), accuracy: r.metrics.testAccuracy };
}
