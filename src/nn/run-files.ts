import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBytes, recoverFolder, writeAtomic, writeTransaction } from '../io/files.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { ConfigError, DataError } from '../util/errors.js';
import type { AdapterReport } from '../gpu/device.js';
import { modelFromSafetensors, modelToSafetensors, type MaskLayout } from './checkpoint.js';
import { classesOf, inputOf, migrateConfig, type TrainConfig } from './config.js';
import type { Trainable, TrainResult, TrainState } from './train.js';
import type { Sequential } from './modules.js';
import { deepFreeze } from '../util/freeze.js';

/** How a run folder stores its model: the study's nets (default) or a model of nn layers with its config. */
export interface ModelCodec<M extends Trainable> {
  save(model: M, config: TrainConfig, pruned?: { masks: Float32Array[]; layout: MaskLayout }): Promise<Uint8Array>;
  load(bytes: Uint8Array, file: string): M;
}
export const NET_CODEC: ModelCodec<Sequential> = deepFreeze({
  save: (model, config, pruned) => modelToSafetensors(model, config, pruned?.masks, pruned?.layout),
  load: (bytes, file) => modelFromSafetensors(bytes, file).model,
});

/**
 * A run folder: model.safetensors, optimizer.safetensors (Adam moments, for resuming),
 * train.json (config, seed, adapter, data, metrics, status) and history.csv. A checkpoint is
 * one transaction (writeTransaction): the four files change together or not at all.
 */
export async function saveCheckpoint<M extends Trainable = Sequential>(
  dir: string,
  state: TrainState<M>,
  config: TrainConfig,
  adapter: AdapterReport,
  dataName: string,
  pruned?: { masks: Float32Array[]; layout: MaskLayout; init: string },
  codec: ModelCodec<M> = NET_CODEC as unknown as ModelCodec<M>,
): Promise<void> {
  writeTransaction(dir, {
    'model.safetensors': await codec.save(state.model, config, pruned),
    'optimizer.safetensors': encodeSafetensors(
      state.model.params.flatMap((p, i) => [
        { name: `${p.name}.exp_avg`, shape: [...p.tensor.shape], data: state.adam.m[i] },
        { name: `${p.name}.exp_avg_sq`, shape: [...p.tensor.shape], data: state.adam.v[i] },
      ]),
      { step: String(state.adam.step), iteration: String(state.iteration) },
    ),
    'history.csv': `iteration,loss,test_accuracy\n${state.history.map((h) => `${h.iteration},${h.loss ?? ''},${h.testAccuracy ?? ''}`).join('\n')}\n`,
    'train.json': JSON.stringify(
      {
        tool: 'sparsegrad',
        status: 'running',
        iteration: state.iteration,
        model: 'model.safetensors',
        data: dataName,
        config,
        seed: config.seed,
        adapter,
        trainMs: state.trainMs,
        ...(pruned && {
          fineTuned: {
            from: pruned.init,
            maskLayout: pruned.layout,
            pruned: pruned.masks.reduce((s, m) => s + m.reduce((c, v) => c + (v ? 0 : 1), 0), 0),
            weights: pruned.masks.reduce((s, m) => s + m.length, 0),
          },
        }),
        history: state.history,
        pooledBytes: state.pooledBytes,
        written: new Date().toISOString(),
      },
      null,
      2,
    ),
  });
}

/** Marks a run finished and adds its metrics; the last checkpoint already holds the weights. */
export function finishRun(dir: string, metrics: TrainResult['metrics']): string[] {
  const file = join(dir, 'train.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  writeAtomic(file, JSON.stringify({ ...json, status: 'finished', metrics }, null, 2));
  return ['model.safetensors', 'optimizer.safetensors', 'train.json', 'history.csv'].map((f) => join(dir, f));
}

/** The state to resume from, or null when the folder holds no checkpoint. Refuses another config. */
export function loadCheckpoint<M extends Trainable = Sequential>(
  dir: string,
  config: TrainConfig,
  dataName: string,
  codec: ModelCodec<M> = NET_CODEC as unknown as ModelCodec<M>,
): TrainState<M> | null {
  const jsonFile = join(dir, 'train.json');
  recoverFolder(dir); // completes a checkpoint whose commit record was written, drops one that was not
  if (!existsSync(jsonFile)) return null;
  let saved: {
    config: TrainConfig;
    data: string;
    iteration: number;
    history: TrainState['history'];
    pooledBytes: TrainState['pooledBytes'];
    trainMs: number;
  };
  try {
    saved = JSON.parse(readFileSync(jsonFile, 'utf8'));
  } catch {
    throw new DataError(`${jsonFile}: not valid JSON (a damaged run folder); delete it or use another --out`);
  }
  if (!saved || typeof saved !== 'object' || !saved.config || !Number.isInteger(saved.iteration))
    throw new DataError(
      `${jsonFile}: not a sparsegrad train.json (no config or iteration); delete it or use another --out`,
    );
  // Settings that only shape iterations still to come may change: the budget, the evaluation
  // interval, and learning-rate steps after the checkpoint.
  const { iterations: _a, evalEvery: _b, lrSchedule: wantSchedule, ...want } = config;
  const {
    iterations: _c,
    evalEvery: _d,
    lrSchedule: haveSchedule,
    ...have
  } = migrateConfig(saved.config as TrainConfig, jsonFile);
  // Key order aside; runs saved before the image shape and classes were recorded were MNIST's.
  const canonical = (c: Partial<TrainConfig>) =>
    JSON.stringify(
      Object.entries(
        c.model ? c : { ...c, input: [...inputOf(c as TrainConfig)], classes: classesOf(c as TrainConfig) },
      )
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  if (canonical(want) !== canonical(have) || saved.data !== dataName) {
    throw new ConfigError(
      `${jsonFile}: holds a run with other settings (${JSON.stringify(have)} on ${saved.data}); use another --out or delete it`,
    );
  }
  const past = (s: TrainConfig['lrSchedule']) =>
    JSON.stringify((s ?? []).filter((step) => step.after < saved.iteration));
  if (past(wantSchedule) !== past(haveSchedule)) {
    throw new ConfigError(
      `${jsonFile}: the learning-rate schedule ${JSON.stringify(wantSchedule ?? [])} changes iterations already trained (the run is at iteration ${saved.iteration} with ${JSON.stringify(haveSchedule ?? [])}); only steps after ${saved.iteration} may change`,
    );
  }
  const modelFile = join(dir, 'model.safetensors');
  const model = codec.load(readBytes(modelFile), modelFile);
  const optFile = join(dir, 'optimizer.safetensors');
  const { arrays, metadata } = decodeSafetensors(readBytes(optFile), optFile);
  const byName = new Map(arrays.map((a) => [a.name, a.data]));
  const get = (n: string): Float32Array => {
    const d = byName.get(n);
    if (!d) throw new DataError(`${optFile}: missing ${n}`);
    return d;
  };
  // One checkpoint, one iteration: the files of a transaction agree (a mismatch is a folder edited by hand).
  if (metadata.iteration !== undefined && Number(metadata.iteration) !== saved.iteration)
    throw new DataError(
      `${dir}: optimizer.safetensors is from iteration ${metadata.iteration}, train.json from ${saved.iteration}; the checkpoint is inconsistent, start over with --fresh`,
    );
  return {
    iteration: saved.iteration,
    model,
    adam: {
      step: Number(metadata.step),
      m: model.params.map((p) => get(`${p.name}.exp_avg`)),
      v: model.params.map((p) => get(`${p.name}.exp_avg_sq`)),
    },
    history: saved.history,
    pooledBytes: saved.pooledBytes,
    trainMs: saved.trainMs,
  };
}
