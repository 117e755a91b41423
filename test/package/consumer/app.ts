// A user's app, compiled against the packed sparsegrad exactly as a user's project would be
// (tsc --init defaults; moduleResolution bundler; esbuild for the browser). Browser-safe: the
// caller brings the data and the backend.
import {
  Adam,
  type Backend,
  DataLoader,
  type Split,
  Sequential,
  Tensor,
  accuracy,
  backward,
  nn,
  sequentialFromSafetensors,
  sequentialToSafetensors,
  softmaxCrossEntropy,
  take,
  tidy,
  tidyAsync,
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
  // A nested model: a feature extractor and a classifier head, each a Sequential of its own.
  const model = new Sequential(
    [1, 28, 28],
    [
      nn.named('features', nn.Sequential(nn.Conv2d(4, 5, 'valid'), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())),
      nn.named('head', nn.Sequential(nn.Linear(32), nn.ReLU(), nn.Linear(10))),
    ],
    { seed: 1, backend },
  );
  log(String(model));
  // A training loop of the user's own: Adam over parameters(), batches held on the GPU.
  const optimizer = new Adam(model.parameters(), { lr: 2e-3 });
  const loader = new DataLoader(data.train, { batchSize: 32, backend });
  for (let step = 1; step <= 60; step++)
    tidy(() => {
      const { x, t } = loader.next();
      backward(softmaxCrossEntropy(model.forward(x, { step }), t));
      optimizer.step();
    });
  loader.dispose();
  optimizer.dispose();
  model.eval();
  const acc = await accuracy(model, data.test);
  log(`trained ${model.describe()} for 60 steps: test accuracy ${(100 * acc).toFixed(2)}%`);

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
