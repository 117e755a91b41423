import { join } from 'node:path';
import { refuseOutputIsInput } from '../io/run-settings.js';
import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { adapterName } from '../gpu/device.js';
import { initGpu } from '../gpu/node-gpu.js';
import { loadData } from '../data/node-loader.js';
import { splitClasses } from '../data/dataset.js';
import { classesOf, inputOf, layersOf, type TrainConfig } from '../nn/config.js';
import { describeLayers } from '../nn/layer-spec.js';
import { ConfigError } from '../util/errors.js';
import { fitToData, trainModel, type TrainProgress } from '../nn/train.js';
import { batchHookFor } from '../adversarial/training.js';
import type { BatchSource } from '../nn/batches.js';
import { finishRun, loadCheckpoint, saveCheckpoint } from '../nn/run-files.js';
import { modelFromSafetensors, nonzeroMasks } from '../nn/checkpoint.js';
import { readBytes } from '../io/files.js';
import { readFileSync } from 'node:fs';
import { Sequential, sequentialFromSafetensors, sequentialToSafetensors } from '../nn/modules.js';
import type { ModelCodec } from '../nn/run-files.js';
import { Tensor } from '../tensor/tensor.js';
import { addTrainingOptions, trainingConfig } from './training-options.js';
import { applyKernels, kernelsOption } from './kernels.js';
import { tuneForTraining, tunedLine } from '../nn/tune.js';

export function registerTrain(program: Command): void {
  addTrainingOptions(
    program
      .command('train')
      .description('train an MNIST model and save it as safetensors (+ JSON of config and metrics)'),
  )
    .option('--out <dir>', 'output folder', 'runs/train')
    .option('--fresh', 'start over even if --out holds a checkpoint of this run (default: resume it)')
    .option('--no-progress', 'no progress bar (logs a line per evaluation instead)')
    .option(
      '--model-config <file>',
      'a model of nn layers from JSON: {"input": [1, 28, 28], "layers": [{"type": "Conv2d", "out": 16, "kernel": 5, "padding": "same"}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel": 2}, …, {"type": "Flatten"}, {"type": "Linear", "out": 10}]} (instead of --arch/--hidden/--conv)',
    )
    .option(
      '--init <file>',
      'start from this model.safetensors (its architecture) instead of a fresh init: fine-tuning',
    )
    .option(
      '--keep-pruned',
      "with --init: train under its pruning masks (torch.nn.utils.prune's weight_mask where the file has them, else its zero weights): pruned weights stay exactly 0",
    )
    .addOption(
      new Option(
        '--mask-layout <layout>',
        "with --keep-pruned: save pruned weights as zeros, or as torch.nn.utils.prune's weight_orig + weight_mask",
      )
        .choices(['zeros', 'torch-prune'])
        .default('zeros'),
    )
    .addOption(kernelsOption())
    .addOption(
      new Option(
        '--batches <where>',
        'device: hold the training set on the GPU and gather each batch there; host: copy and upload each batch; auto: device when the set fits the adapter and 1 GiB',
      )
        .choices(['auto', 'device', 'host'])
        .default('auto'),
    )
    .action(async (o) => {
      const config = trainingConfig(o);
      if (o.init) refuseOutputIsInput(join(o.out, 'model.safetensors'), [o.init]);
      if (o.keepPruned && !o.init)
        throw new ConfigError('--keep-pruned needs --init <model.safetensors> (the pruned model to fine-tune)');
      if (o.modelConfig) {
        if (o.init)
          throw new ConfigError("--model-config and --init: fine-tuning is for the study's FC and CNN models");
        let model: unknown;
        try {
          model = JSON.parse(readFileSync(o.modelConfig, 'utf8'));
        } catch (e) {
          throw new ConfigError(`--model-config ${o.modelConfig}: ${(e as Error).message}`);
        }
        config.model = model as TrainConfig['model'];
        return trainSequential(o, config);
      }
      const data = loadData(o.data);
      const g = (await initGpu()).gpu;
      // Fine-tuning: the architecture is the file's; training settings are this command's.
      const init = o.init ? modelFromSafetensors(readBytes(o.init), o.init) : null;
      if (init)
        Object.assign(config, {
          arch: init.config.arch,
          hidden: init.config.hidden,
          conv: init.config.conv,
          input: [...inputOf(init.config)],
          classes: classesOf(init.config),
        });
      Object.assign(config, fitToData(config, data)); // the image shape and classes of this data, recorded
      const masks =
        init && o.keepPruned
          ? (init.masks?.map((m, i) => m ?? new Float32Array(init.model.weights[i].size).fill(1)) ??
            (await nonzeroMasks(init.model)))
          : null;
      const maskTensors = masks
        ? init!.model.params.map((p) => {
            const w = init!.model.weights.indexOf(p.tensor);
            return w >= 0 ? Tensor.fromArray(masks[w], [...p.tensor.shape]).keep() : null;
          })
        : undefined;
      if (masks) {
        const pruned = masks.reduce((s, m) => s + m.reduce((c, v) => c + (v ? 0 : 1), 0), 0),
          total = masks.reduce((s, m) => s + m.length, 0);
        console.log(
          `fine-tuning ${o.init} under its masks: ${pruned} of ${total} weights pruned (${((100 * pruned) / total).toFixed(2)}%) stay 0`,
        );
      }
      console.log(`adapter: ${adapterName(g.adapter)}`);
      console.log(
        `data: ${data.name} (${data.train.count} train / ${data.test.count} test); model ${describeLayers(layersOf(config))}, ${config.loss}, dropout ${config.dropout}, l2 ${config.l2}, Adam lr ${config.lr}${config.lrSchedule ? ` (then ${config.lrSchedule.map((st) => `${st.lr} after ${st.after}`).join(', ')})` : ''}, batch ${config.batch}, ${config.iterations} iterations, seed ${config.seed}${config.adversarial ? `; adversarial training: ${config.adversarial.kind} ε=${config.adversarial.epsilon}${config.adversarial.kind === 'pgd' ? `, ${config.adversarial.steps} steps` : ''}` : ''}`,
      );
      const tuning = applyKernels(o.kernels, g);
      if (tuning) {
        console.log(tunedLine(await tuneForTraining(config, tuning.tuner), tuning.cache));
      } else if (o.kernels !== 'tuned') {
        console.log(`kernels: ${o.kernels}`); // tuned without timestamps: applyKernels said so
      }
      const bar =
        o.progress && process.stderr.isTTY
          ? new cliProgress.SingleBar(
              {
                format: 'train [{bar}] {value}/{total} | {speed} it/s | loss {loss} | test {acc} | ETA {eta_formatted}',
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : null;
      bar?.start(config.iterations, 0, { speed: '-', loss: '-', acc: '-' });
      let lastLoss = '-';
      let lastAcc = '-';
      const resume = o.fresh ? undefined : (loadCheckpoint(o.out, config, data.name) ?? undefined);
      if (resume) console.log(`resuming ${o.out} from iteration ${resume.iteration}`);
      bar?.update(resume?.iteration ?? 0);
      const onProgress = (p: TrainProgress): void => {
        if (p.loss !== null) lastLoss = p.loss.toFixed(4);
        if (p.testAccuracy !== undefined) {
          lastAcc = `${(100 * p.testAccuracy).toFixed(2)}%${p.robustAccuracy !== undefined ? `, PGD-10 on 200 held-out ${(100 * p.robustAccuracy).toFixed(1)}%` : ''}`;
          if (!bar)
            console.log(
              `iteration ${p.iteration}: loss ${lastLoss}, test accuracy ${lastAcc}, ${(p.iteration / (p.elapsedMs / 1000)).toFixed(2)} it/s`,
            );
        }
        bar?.update(p.iteration, {
          speed: (p.iteration / (p.elapsedMs / 1000)).toFixed(2),
          loss: lastLoss,
          acc: lastAcc,
        });
      };
      const result = await trainModel(config, data, {
        batchHook: batchHookFor(config),
        batches: o.batches,
        onProgress,
        resume,
        init: init?.model,
        masks: maskTensors,
        onCheckpoint: (state) =>
          saveCheckpoint(
            o.out,
            state,
            config,
            g.adapter,
            data.name,
            masks && o.init ? { masks, layout: o.maskLayout, init: o.init } : undefined,
          ),
      });
      bar?.stop();
      const overfit = result.metrics.catastrophicOverfitting;
      if (overfit)
        console.log(
          `warning: catastrophic overfitting at iteration ${overfit.iteration}: held-out PGD-10 accuracy fell to ${(100 * overfit.robustAccuracy).toFixed(1)}% from ${(100 * overfit.best).toFixed(1)}% (Wong et al. 2020: fast adversarial training can lose its robustness in a few steps; use a smaller step, pgd, or the checkpoint before it)`,
        );
      const files = finishRun(o.out, result.metrics);
      console.log(
        `test accuracy ${(100 * result.metrics.testAccuracy).toFixed(2)}% after ${config.iterations} iterations, ${(result.metrics.trainMs / 1000).toFixed(1)} s training (${result.metrics.iterationsPerSecond.toFixed(2)} it/s)`,
      );
      console.log(`wrote ${files.join(', ')}`);
    });
}

/** `train --model-config`: a Sequential of nn layers, trained, checkpointed and resumed like the study's nets. */
async function trainSequential(
  o: { data: string; kernels: string; batches: BatchSource; fresh?: boolean; out: string },
  config: TrainConfig,
): Promise<void> {
  const data = loadData(o.data);
  const g = (await initGpu()).gpu;
  const tuning = applyKernels(o.kernels, g);
  const model = Sequential.fromJson(config.model!, config.seed);
  const codec: ModelCodec<Sequential> = {
    save: (m) => sequentialToSafetensors(m, { sparsegrad_config: JSON.stringify(config) }),
    load: (bytes, file) => sequentialFromSafetensors(bytes, file, config.model),
  };
  console.log(`adapter: ${adapterName(g.adapter)}`);
  console.log(
    `data: ${data.name} (${data.train.count} train / ${data.test.count} test); model ${model.describe()} (${model.params.reduce((n, p) => n + p.tensor.size, 0)} parameters), ${config.loss}, l2 ${config.l2}, Adam lr ${config.lr}, batch ${config.batch}, ${config.iterations} iterations, seed ${config.seed}`,
  );
  if (tuning) {
    const tuned = await tuneForTraining(config, tuning.tuner, {
      makeModel: () => Sequential.fromJson(config.model!, config.seed),
      classes: splitClasses(data),
    });
    console.log(tunedLine(tuned, tuning.cache));
  } else if (o.kernels !== 'tuned') {
    console.log(`kernels: ${o.kernels}`);
  }
  const resume = o.fresh ? undefined : (loadCheckpoint(o.out, config, data.name, codec) ?? undefined);
  if (resume) {
    console.log(`resuming ${o.out} from iteration ${resume.iteration}`);
    model.dispose();
  }
  const result = await trainModel<Sequential>(config, data, {
    batchHook: batchHookFor(config),
    batches: o.batches,
    resume,
    init: resume ? undefined : model,
    onProgress: (p) => {
      if (p.testAccuracy !== undefined)
        console.log(
          `iteration ${p.iteration}: loss ${p.loss?.toFixed(4) ?? '-'}, test accuracy ${(100 * p.testAccuracy).toFixed(2)}%, ${(p.iteration / (p.elapsedMs / 1000)).toFixed(2)} it/s`,
        );
    },
    onCheckpoint: (state) => saveCheckpoint(o.out, state, config, g.adapter, data.name, undefined, codec),
  });
  const files = finishRun(o.out, result.metrics);
  console.log(
    `test accuracy ${(100 * result.metrics.testAccuracy).toFixed(2)}% after ${config.iterations} iterations, ${(result.metrics.trainMs / 1000).toFixed(1)} s training (${result.metrics.iterationsPerSecond.toFixed(2)} it/s)`,
  );
  console.log(`wrote ${files.join(', ')}`);
}
