// A user's app, compiled against the packed sparsegrad exactly as a user's project would be
// (tsc --init defaults; moduleResolution bundler; esbuild for the browser). Browser-safe: the
// caller brings the data and the backend.
import {
  type Backend,
  DEFAULT_CONFIG,
  type Split,
  Sequential,
  Tensor,
  accuracy,
  nn,
  sequentialFromSafetensors,
  sequentialToSafetensors,
  take,
  tidyAsync,
  trainModel,
} from 'sparsegrad';
import { Pruner, calibrationIndices, layerInputStats, pgd, pgdAttack } from 'sparsegrad/research';

export interface AppResult {
  adapter: string;
  accuracy: number;
  robust: number;
  pruned: number;
  reloadedSame: boolean;
  liveTensorsAfter: number;
}

export async function runApp(backend: Backend, data: Split, log: (line: string) => void): Promise<AppResult> {
  const model = new Sequential(
    [1, 28, 28],
    [nn.Conv2d(4, 5, 'valid'), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32), nn.ReLU(), nn.Linear(10)],
    1,
    undefined,
    backend,
  );
  const config = { ...DEFAULT_CONFIG, loss: 'softmax-ce' as const, batch: 32, iterations: 60, evalEvery: 0, l2: 0 };
  const trained = await trainModel(config, data, { init: model });
  const acc = trained.metrics.testAccuracy;
  log(`trained ${model.describe()} for ${config.iterations} steps: test accuracy ${(100 * acc).toFixed(2)}%`);

  const test = take(data.test, 64);
  const attack = await pgdAttack(model, test, pgd(0.1, 5));
  log(`PGD-5 at eps 0.1 on 64 images: robust accuracy ${(100 * attack.accuracy).toFixed(2)}%`);

  const weights = await Promise.all(model.weights.map((w) => w.read()));
  const stats = await layerInputStats(model, data.train, calibrationIndices(data.train, 200, 1));
  const pruner = new Pruner(model, weights, stats, {
    method: 'abs',
    scope: { kind: 'per-matrix' },
    combinedOffset: 0,
    seed: 1,
  });
  const pruned = await accuracy(pruner.prunedModel(0.5), data.test);
  pruner.dispose();
  log(`pruned 50% by |w|: test accuracy ${(100 * pruned).toFixed(2)}%`);

  const bytes = await sequentialToSafetensors(model);
  const reloaded = sequentialFromSafetensors(bytes, 'model.safetensors', undefined, backend);
  const x = test.images.subarray(0, 8 * test.pixels);
  const outputs = (m: Sequential) =>
    tidyAsync(() => m.forward(Tensor.fromArray(x, [8, test.pixels], false, backend), { train: false }).read());
  const [a, b] = [await outputs(model), await outputs(reloaded)];
  const reloadedSame = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  log(`saved ${bytes.length} bytes of safetensors; reloaded outputs ${reloadedSame ? 'identical' : 'DIFFER'}`);
  reloaded.dispose();
  model.dispose();
  return {
    adapter: backend.gpu.adapter.description || backend.gpu.adapter.vendor,
    accuracy: acc,
    robust: attack.accuracy,
    pruned,
    reloadedSame,
    liveTensorsAfter: backend.memory().liveTensors,
  };
}
