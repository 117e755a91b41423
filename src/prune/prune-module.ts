import type { Dataset } from '../data/dataset.js';
import { ConfigError } from '../util/errors.js';
import type { Module } from '../nn/module.js';
import { traceableOf } from '../nn/weight-layers.js';
import { ranksOf, scoresFor } from './prune.js';
import { calibrationIndices, layerInputStats } from './stats.js';

/** How to prune parameters of any Module (torch.nn.utils.prune's l1_unstructured, and the study's scores). */
export interface ModulePruneSpec {
  /** abs: |w|; act: |w|·|mean x| (activated value); act-abs-mean: |w|·mean|x|; random: the control. */
  method: 'abs' | 'act' | 'act-abs-mean' | 'random';
  /** The share of each named parameter set to 0, in [0, 1). */
  amount: number;
  /** Weight parameters by name ("fc1.weight"); default every Linear and Conv2d weight. */
  parameters?: string[];
  /** The images activation scores are measured on (act, act-abs-mean). */
  data?: Dataset;
  /** Calibration images drawn from `data` (default 2,000) and the seed of the draw and of random scores. */
  calibration?: number;
  seed?: number;
}

/**
 * Prunes named weights of any Module in place, each matrix to the same share (the lowest
 * scores, ties by index, as torch.nn.utils.prune), and returns the masks by name (1 kept, 0
 * pruned). Activation scores come from the inputs each layer sees in the model's own forward,
 * observed by forward hooks. `input` is one example's shape as the model takes it (e.g. [784]).
 */
export async function pruneModule(
  model: Module,
  input: number[],
  spec: ModulePruneSpec,
): Promise<Map<string, Float32Array>> {
  if (!(spec.amount >= 0 && spec.amount < 1)) throw new ConfigError(`prune: amount ${spec.amount} must be in [0, 1)`);
  const traced = traceableOf(model, input);
  const all = traced.weightLayers.map((l) => `${l.name}.weight`);
  const wanted = spec.parameters ?? all;
  for (const name of wanted)
    if (!all.includes(name))
      throw new ConfigError(
        `prune: no weight "${name}" among the model's Linear and Conv2d layers (${all.join(', ')})`,
      );
  const needsData = spec.method === 'act' || spec.method === 'act-abs-mean';
  if (needsData && !spec.data) throw new ConfigError(`prune ${spec.method}: needs data to measure activations on`);
  const seed = spec.seed ?? 1;
  const stats = needsData
    ? await layerInputStats(traced, spec.data!, calibrationIndices(spec.data!, spec.calibration ?? 2000, seed))
    : null;
  const weights = await Promise.all(traced.weightLayers.map((l) => l.module.weight!.read()));
  const scores = scoresFor(spec.method, weights, traced.layers, stats, seed);
  const masks = new Map<string, Float32Array>();
  traced.weightLayers.forEach((l, m) => {
    const name = `${l.name}.weight`;
    if (!wanted.includes(name)) return;
    const ranks = ranksOf(scores[m]);
    const cut = Math.round(spec.amount * ranks.length);
    const mask = Float32Array.from(ranks, (r) => (r < cut ? 0 : 1));
    l.module.weight!.write(weights[m].map((w, i) => (mask[i] ? w : 0)));
    masks.set(name, mask);
  });
  return masks;
}
