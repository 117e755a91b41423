import { existsSync } from 'node:fs';
import { refuseOutputIsInput } from '../io/run-settings.js';
import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { dataOption } from './shared-options.js';
import { openGpu, loadModel, loadData, pct } from './common.js';
import { PRUNE_METHODS, Pruner, parseScope, scopeName, scoreSets } from '../prune/prune.js';
import { calibrationIndices, layerInputStats } from '../prune/stats.js';
import { accuracy } from '../nn/evaluate.js';
import type { MaskLayout } from '../nn/checkpoint.js';
import { modelToBytes } from '../nn/model.js';
import { writeAtomic } from '../io/files.js';
import { ConfigError } from '../util/errors.js';
import type { AdversarialSpec } from '../nn/config.js';
import { hydraMasks } from '../prune/hydra.js';
import { Tensor } from '../tensor/tensor.js';
import type { Model } from '../nn/model.js';
import type { TrainConfig } from '../nn/config.js';
import type { Split } from '../data/dataset.js';
import { parseAdversarialOption, parseChoice, parseInteger, parseNumber } from './options.js';

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description(
      "prune a model once at one ratio and save it (pruned weights as zeros, or in torch.nn.utils.prune's layout), e.g. to fine-tune it with train --init --keep-pruned",
    )
    .requiredOption('--model <file>', 'model.safetensors')
    .requiredOption('--ratio <x>', 'share of weights to prune', parseNumber(0, 1))
    .option(
      '--method <method>',
      `pruning method: ${PRUNE_METHODS.join(', ')}, or hydra (importance scores from |w| optimised on the --adversarial loss, Sehwag et al. 2020)`,
      parseChoice([...PRUNE_METHODS, 'hydra' as const]),
      'abs' as const,
    )
    .option('--hydra-steps <n>', 'hydra: score-optimisation steps (0: magnitude pruning)', parseInteger(0), 300)
    .option('--hydra-lr <x>', "hydra: Adam's learning rate for the scores", parseNumber(1e-9, 10), 0.01)
    .option(
      '--adversarial <spec>',
      'hydra: the loss the scores are optimised on, under fgsm-rs:ε or pgd:ε,steps (default: the natural loss)',
      parseAdversarialOption,
    )
    .option('--scope <scope>', 'per-matrix, global or layer:K', 'per-matrix')
    .option(
      '--calibration <n>',
      'training images for activated-value statistics and the pixel mask',
      parseInteger(1),
      2000,
    )
    .option('--combined-offset <x>', 'combined = abs at r ∪ act at r − offset', parseNumber(0, 0.99), 0.07)
    .option('--seed <n>', 'seed for calibration images and the random method', parseInteger(0), 1)
    .addOption(dataOption('calibration, and the accuracy printed'))
    .addOption(
      new Option('--mask-layout <layout>', 'zeros: pruned weights saved as 0; torch-prune: weight_orig + weight_mask')
        .choices(['zeros', 'torch-prune'] as const)
        .default('zeros' as const),
    )
    .requiredOption('--out <file>', 'the pruned model.safetensors')
    .option('--force', 'overwrite --out if it exists')
    .action(async (o) => {
      if (!o.out.endsWith('.safetensors'))
        throw new ConfigError(`--out ${o.out}: a pruned model is written as .safetensors`);
      refuseOutputIsInput(o.out, [o.model]);
      if (existsSync(o.out) && !o.force)
        throw new ConfigError(`--out ${o.out} exists; give another file, or --force to overwrite it`);
      const data = loadData(o.data);
      await openGpu();
      const { model, config } = loadModel(o.model, data);
      if (o.method === 'hydra') return pruneHydra(o, model, config, data);
      if (o.adversarial)
        throw new ConfigError("--adversarial is hydra's: the other methods score weights without a loss");
      const scope = parseScope(o.scope, model.layers.length);
      const method = o.method;
      const weights = await Promise.all(model.weights.map((w) => w.read()));
      const needsStats = scoreSets(method).some((m) => m !== 'abs' && m !== 'random');
      // A short command (seconds): each stage says what it measured and how long it took, instead of a bar.
      let t = performance.now();
      const took = () => `${((performance.now() - t) / 1000).toFixed(1)} s`;
      const stats = needsStats
        ? await layerInputStats(model, data.train, calibrationIndices(data.train, o.calibration, o.seed))
        : null;
      if (stats) {
        await model.backend.sync();
        console.log(`activation statistics of ${Math.min(o.calibration, data.train.count)} training images: ${took()}`);
      }
      const pruner = new Pruner(model, weights, stats, {
        method,
        scope,
        combinedOffset: o.combinedOffset,
        seed: o.seed,
      });
      const pruned = pruner.prunedModel(o.ratio);
      const masks = pruner.prunedMasks(o.ratio).map((m) => Float32Array.from(m, (p) => 1 - p));
      writeAtomic(o.out, await modelToBytes(pruned, config, masks, o.maskLayout));
      t = performance.now();
      const before = await accuracy(model, data.test);
      const after = await accuracy(pruned, data.test);
      console.log(`accuracy of both models on ${data.test.count} test images: ${took()}`);
      const counts = pruner.prunedCounts(o.ratio);
      const total = weights.reduce((s, w) => s + w.length, 0),
        prunedTotal = counts.reduce((a, b) => a + b, 0);
      console.log(
        `${method} ${scopeName(scope)} at ${o.ratio}: ${prunedTotal} of ${total} weights pruned (${counts.join(' / ')} per matrix); test accuracy ${pct(before)} → ${pct(after)}`,
      );
      console.log(`wrote ${o.out} (${o.maskLayout})`);
      pruner.dispose();
    });
}

/** prune --method hydra: the scores' masks, per matrix; the model written as the other methods'. */
interface HydraOptions {
  ratio: number;
  scope: string;
  hydraSteps: number;
  hydraLr: number;
  adversarial?: AdversarialSpec;
  seed: number;
  out: string;
  maskLayout: MaskLayout;
}

async function pruneHydra(o: HydraOptions, model: Model, config: TrainConfig, data: Split): Promise<void> {
  if (o.scope !== 'per-matrix') throw new ConfigError('--method hydra prunes per matrix: --scope per-matrix');
  const t0 = performance.now();
  const masks = await hydraMasks(model, config, data.train, {
    ratio: o.ratio,
    steps: o.hydraSteps,
    lr: o.hydraLr,
    adversarial: o.adversarial ?? null,
    batch: Math.min(config.batch, data.train.count),
    seed: o.seed,
  });
  console.log(
    `hydra: ${o.hydraSteps} score steps on the ${o.adversarial ? `${o.adversarial.kind} ε=${o.adversarial.epsilon}` : 'natural'} loss: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const weights = await Promise.all(model.weights.map((w) => w.read()));
  const pruned = model.withWeights(
    weights.map((w, i) =>
      Tensor.fromArray(
        w.map((v, j) => v * masks[i][j]),
        [...model.weights[i].shape],
        false,
        model.backend,
      ),
    ),
  );
  writeAtomic(o.out, await modelToBytes(pruned, config, masks, o.maskLayout));
  const counts = masks.map((m) => m.reduce((n, k) => n + (k ? 0 : 1), 0));
  console.log(
    `hydra per-matrix at ${o.ratio}: ${counts.reduce((a, b) => a + b, 0)} of ${weights.reduce((s, w) => s + w.length, 0)} weights pruned (${counts.join(' / ')} per matrix); test accuracy ${pct(await accuracy(model, data.test))} → ${pct(await accuracy(pruned, data.test))}`,
  );
  console.log(`wrote ${o.out} (${o.maskLayout})`);
}
