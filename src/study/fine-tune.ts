import type { Dataset } from '../data/dataset.js';
import type { TrainConfig } from '../nn/config.js';
import type { Model } from '../nn/model.js';
import { trainModel } from '../nn/train.js';
import { batchHookFor } from '../adversarial/training.js';
import { Tensor } from '../tensor/tensor.js';

/** Fine-tuning in a sweep: K iterations under the pruning mask, with the model's own training settings. */
export interface FineTuneSpec {
  iterations: number;
  config: TrainConfig;
}

/**
 * A pruned model trained `iterations` more steps under its masks (1 keep, 0 pruned per weight
 * matrix) on `train`: pruned weights stay 0. Returns a new model that owns every parameter (a
 * pruned model shares its biases with the model it came from, which must not change).
 */
export async function fineTunePruned(
  pruned: Model,
  keep: Float32Array[],
  spec: FineTuneSpec,
  train: Dataset,
  test: Dataset,
): Promise<Model> {
  const params = await Promise.all(
    pruned.params.map(async (p) => ({
      name: p.name,
      tensor: Tensor.fromArray(await p.tensor.read(), [...p.tensor.shape], true, p.tensor.backend).keep(),
    })),
  );
  const net: Model = pruned.withParams(params);
  const masks = net.params.map((p) => {
    const w = net.weights.indexOf(p.tensor);
    return w >= 0 ? Tensor.fromArray(keep[w], [...p.tensor.shape], false, p.tensor.backend).keep() : null;
  });
  const r = await trainModel<Model>(
    { ...spec.config, iterations: spec.iterations, evalEvery: 0 },
    { train, test, name: 'fine-tune' },
    { init: net, masks, batchHook: batchHookFor(spec.config) },
  );
  masks.forEach((k) => k?.dispose());
  return r.model;
}
