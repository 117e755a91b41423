import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Split } from '../data/dataset.js';
import type { AdapterReport } from '../gpu/device.js';
import { ConfigError } from '../util/errors.js';
import { readBytes, readResult, resultExists, writeAtomic } from '../io/files.js';
import { refuseOtherSettings } from '../io/run-settings.js';
import { modelFromSafetensors, modelToSafetensors } from '../nn/checkpoint.js';
import { layersOf, type TrainConfig } from '../nn/config.js';
import type { Sequential } from '../nn/modules.js';
import { studyModel } from '../nn/study-models.js';
import { finishRun, loadCheckpoint, saveCheckpoint } from '../nn/run-files.js';
import { batchHookFor } from '../adversarial/training.js';
import { fitToData, trainModel, type TrainState } from '../nn/train.js';
import { Tensor } from '../tensor/tensor.js';
import { RankedPruning, type PruneScope } from '../prune/prune.js';

/**
 * Iterative magnitude pruning (Frankle & Carbin 2019; with rewinding, Frankle et al. 2020):
 * train, prune `perRound` of the weights still there by |w|, set the rest back to their values
 * at iteration `rewind` (0: the initialisation) and train again from there under the mask, for
 * `rounds` rounds. Adam starts afresh each round.
 */
export interface ImpSpec {
  config: TrainConfig;
  rounds: number;
  perRound: number;
  rewind: number;
  scope: PruneScope;
}

export interface ImpRow {
  round: number;
  sparsity: number;
  pruned: number;
  weights: number;
  testAccuracy: number;
  iterations: number;
  rewind: number;
  trainMs: number;
}

/** The sparsity after `round` rounds: 1 − (1 − p)^round. */
export const impSparsity = (perRound: number, round: number): number => 1 - (1 - perRound) ** round;

/**
 * Masks (1 keep, 0 pruned) per weight matrix for `sparsity`, by |w| among the weights still
 * unpruned: the ones already pruned rank first, so masks only ever lose ones.
 */
export function impMasks(
  weights: Float32Array[],
  previous: Float32Array[] | null,
  sparsity: number,
  scope: PruneScope,
): Float32Array[] {
  const scores = weights.map((w, m) => w.map((v, i) => (previous && !previous[m][i] ? -1 : Math.abs(v))));
  const ranked = new RankedPruning([scores], { method: 'abs', scope, combinedOffset: 0, seed: 0 });
  return ranked.prunedMasks(sparsity).map((pruned) => Float32Array.from(pruned, (p) => 1 - p));
}

/** The weights a pruned round starts from: the rewind file's, 0 (+0) where the mask prunes. */
export async function rewoundModel(rewindFile: string, masks: Float32Array[]): Promise<Sequential> {
  const start = modelFromSafetensors(readBytes(rewindFile), rewindFile).model;
  for (const [m, w] of start.weights.entries()) w.write((await w.read()).map((v, i) => (masks[m][i] ? v : 0)));
  return start;
}

const roundDir = (dir: string, r: number) => join(dir, `round-${r}`);
// A round's train.json may be kept gzip-compressed (committed results): read either name.
const finished = (d: string) =>
  resultExists(join(d, 'train.json')) && JSON.parse(readResult(join(d, 'train.json'))).status === 'finished';
const CSV_HEADER = 'round,sparsity,pruned,weights,test_accuracy,iterations,rewind,train_ms';

/**
 * Runs (or resumes) IMP in `dir`: round-0/ is the dense run, round-R/ each pruned one (model in
 * torch.nn.utils.prune's layout), rewind.safetensors the weights rounds start from, imp.csv a
 * row per finished round. Every round resumes from its own checkpoints; finished rounds are
 * read back, not rerun.
 */
export async function runImp(
  spec: ImpSpec,
  data: Split,
  dir: string,
  adapter: AdapterReport,
  log: (line: string) => void,
  /** Training iterations done of all rounds' (finished rounds count as done), after each step. */
  progress?: (done: number, total: number) => void,
): Promise<ImpRow[]> {
  const { rounds, perRound, rewind } = spec;
  const config = fitToData(spec.config, data); // the image shape and classes of this data
  if (!(perRound > 0 && perRound < 1)) throw new ConfigError(`imp: --per-round ${perRound} must be in (0, 1)`);
  if (!(Number.isInteger(rewind) && rewind >= 0 && rewind < config.iterations))
    throw new ConfigError(`imp: --rewind ${rewind} must be an iteration before the last (${config.iterations})`);
  // The folder's rounds belong to these settings: another --per-round, rewind, scope, model or
  // data would reuse rounds that mean something else, so it is refused (more rounds extend).
  const settings = { data: data.name, perRound, rewind, scope: spec.scope, config };
  const settingsFile = join(dir, 'imp-settings.json');
  refuseOtherSettings(settingsFile, settings, false);
  writeAtomic(settingsFile, JSON.stringify({ tool: 'sparsegrad imp', settings }, null, 2));
  const rewindFile = join(dir, 'rewind.safetensors');
  const saveRewind = async (net: Sequential) => writeAtomic(rewindFile, await modelToSafetensors(net, config));
  const rows: ImpRow[] = [];
  const roundIterations = (r: number) => config.iterations - (r > 0 ? rewind : 0);
  const totalIterations = roundIterations(0) + rounds * roundIterations(1);
  let doneBefore = 0; // iterations of the rounds before this one
  let previousMasks: Float32Array[] | null = null;
  for (let r = 0; r <= rounds; r++) {
    const out = roundDir(dir, r);
    const sparsity = impSparsity(perRound, r);
    let masks: Float32Array[] | null = null;
    if (r > 0) {
      const prevFile = join(roundDir(dir, r - 1), 'model.safetensors');
      const prev = modelFromSafetensors(readBytes(prevFile), prevFile);
      masks = impMasks(await Promise.all(prev.model.weights.map((w) => w.read())), previousMasks, sparsity, spec.scope);
      prev.model.dispose();
    }
    if (!finished(out)) {
      const maskTensors = masks
        ? layersOf(config).flatMap((_l, m) => [Tensor.fromArray(masks![m], [masks![m].length]).keep(), null])
        : undefined;
      let resume: TrainState | undefined = loadCheckpoint(out, config, data.name) ?? undefined;
      let init: Sequential | undefined;
      if (!resume && r === 0 && rewind === 0) {
        // Rewinding to the initialisation: keep it before the first step.
        init = studyModel(config);
        if (!existsSync(rewindFile)) await saveRewind(init);
      }
      if (!resume && r > 0) {
        // A pruned round starts from the rewind weights under its mask, with Adam afresh.
        const start = await rewoundModel(rewindFile, masks!);
        if (rewind === 0) init = start;
        else
          resume = {
            iteration: rewind,
            model: start,
            adam: {
              step: 0,
              m: start.params.map((p) => new Float32Array(p.tensor.size)),
              v: start.params.map((p) => new Float32Array(p.tensor.size)),
            },
            history: [],
            pooledBytes: [],
            trainMs: 0,
          };
      }
      const startedAt = r > 0 ? rewind : 0;
      const afterStep = async (it: number, net: Sequential) => {
        if (r === 0 && rewind > 0 && it === rewind) await saveRewind(net);
        progress?.(doneBefore + it - startedAt, totalIterations);
      };
      const result = await trainModel(config, data, {
        batchHook: batchHookFor(config),
        resume,
        init,
        masks: maskTensors,
        afterStep,
        onCheckpoint: (s) =>
          saveCheckpoint(
            out,
            s,
            config,
            adapter,
            data.name,
            masks ? { masks, layout: 'torch-prune', init: rewindFile } : undefined,
          ),
      });
      finishRun(out, result.metrics);
      result.model.dispose();
      maskTensors?.forEach((t) => t?.dispose());
    }
    const saved = JSON.parse(readResult(join(out, 'train.json')));
    const weights = layersOf(config).reduce(
      (n, l) => n + (l.kind === 'conv' ? l.outChannels * l.inChannels * l.kernel ** 2 : l.inDim * l.outDim),
      0,
    );
    const pruned = masks ? masks.reduce((n, k) => n + k.reduce((c, v) => c + (v ? 0 : 1), 0), 0) : 0;
    rows.push({
      round: r,
      sparsity: pruned / weights,
      pruned,
      weights,
      testAccuracy: saved.metrics.testAccuracy,
      iterations: roundIterations(r),
      rewind: r > 0 ? rewind : 0,
      trainMs: saved.metrics.trainMs,
    });
    writeAtomic(
      join(dir, 'imp.csv'),
      `${[CSV_HEADER, ...rows.map((x) => [x.round, x.sparsity, x.pruned, x.weights, x.testAccuracy, x.iterations, x.rewind, Math.round(x.trainMs)].join(','))].join('\n')}\n`,
    );
    log(
      `round ${r}: ${(100 * (pruned / weights)).toFixed(2)}% pruned, test accuracy ${(100 * saved.metrics.testAccuracy).toFixed(2)}%`,
    );
    previousMasks = masks;
    doneBefore += roundIterations(r);
    progress?.(doneBefore, totalIterations);
  }
  writeAtomic(
    join(dir, 'imp.json'),
    JSON.stringify({ tool: 'sparsegrad imp', adapter, data: data.name, spec, rows }, null, 2),
  );
  return rows;
}
