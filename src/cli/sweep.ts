import type { Command } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { adapterName } from '../gpu/device.js';
import { loadNoise } from '../adversarial/noise-files.js';
import { runSweep, sweepUnits, type SweepModel } from '../study/sweep.js';
import { sweepSpecOf } from '../study/sweep-spec.js';
import { SweepFiles, mergeShards, parseShard } from '../study/sweep-files.js';
import { PRUNE_METHODS } from '../prune/prune.js';
import { ConfigError } from '../util/errors.js';
import { openGpu, loadModel, loadData, pct, table } from './common.js';
import { chooseRatios, type CleanRule } from '../study/summary.js';
import { writeAtomic } from '../io/files.js';
import { join } from 'node:path';
import { modelToBytes } from '../nn/model.js';
import { dataOption, pgdEpsilonsOption, pgdLossOption, pgdRestartsOption, pgdStepsOption } from './shared-options.js';
import { parseChoice, parseInteger, parseNumber, parseList as list } from './options.js';
import { holdOut, skip } from '../data/dataset.js';
import { DEFAULT_NOISE, UNIVERSAL_RECIPES, collapsed, meanAbs, type UniversalRecipe } from '../adversarial/noise.js';
import type { TrainConfig } from '../nn/config.js';

const parseList = list();
const RECIPES = Object.keys(UNIVERSAL_RECIPES) as UniversalRecipe[];
import { take } from '../data/dataset.js';
import { applyKernels, kernelsOption } from './kernels.js';
import { defaultBackend } from '../gpu/default-backend.js';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'prune at every ratio and measure clean accuracy and accuracy under each noise vector (resumable, shardable)',
    )
    .requiredOption('--model <files>', 'model.safetensors, or several (one per seed) comma-separated', parseList)
    .option('--noise <files...>', 'noise .safetensors files', [])
    .option('--method <list>', `pruning methods: ${PRUNE_METHODS.join(', ')}`, parseList, ['abs'])
    .option('--scope <list>', 'per-matrix, global, layer:K (comma-separated)', parseList, ['per-matrix'])
    .option('--ratios <spec>', 'start:stop:step (inclusive) or a comma list', '0:0.99:0.01')
    .option('--calibration <n>', 'images for activated-value statistics and the pixel mask', parseInteger(1), 2000)
    .option(
      '--calibration-from <split>',
      'draw calibration images from train (default) or test (as the study did)',
      parseChoice(['train', 'test'] as const),
      'train' as const,
    )
    .option(
      '--validation <n>',
      'hold out n images and measure clean accuracy on them per unit (for choosing ratios)',
      parseInteger(1),
    )
    .option(
      '--validation-from <split>',
      'train: the first n training images (for models trained without them); test: the last n test images, which then leave the reported test set (for a model trained on all training images)',
      parseChoice(['train', 'test'] as const),
      'train' as const,
    )
    .option('--combined-offset <x>', 'combined = abs at r ∪ act at r − offset', parseNumber(0, 0.99), 0.07)
    .option('--seed <n>', 'seed for calibration images and the random method', parseInteger(0), 1)
    .addOption(dataOption())
    .option('--test-images <n>', 'evaluate on the first n test images only (default: all)', parseInteger(1))
    .option(
      '--decouple',
      'prune the decoupled model: conv layers as sparse matrices with one entry per filter placement; layers run as CSR or dense by the measured crossover (result files name which)',
    )
    .option(
      '--clean-floor <x>',
      'with --validation: report per method the highest ratio keeping clean validation accuracy ≥ x (default: within 0.5 points of unpruned)',
      parseNumber(0, 1),
    )
    .option(
      '--adaptive-ratios <list>',
      'attack each pruned model itself at these ratios ("all": every ratio): universal noise re-optimised per vector, and PGD if --pgd',
    )
    .option(
      '--adaptive-recipes <list>',
      `universal-noise recipes for adaptive attacks: ${Object.keys(UNIVERSAL_RECIPES).join(', ')}`,
      list(RECIPES),
      [...RECIPES],
    )
    .option('--adaptive-steps <n>', 'Adam steps per adaptive universal noise', parseInteger(1), DEFAULT_NOISE.steps)
    .addOption(pgdEpsilonsOption('adaptive PGD (at the adaptive ratios)'))
    .addOption(pgdStepsOption())
    .addOption(pgdRestartsOption())
    .addOption(pgdLossOption())
    .option(
      '--certify <eps>',
      'also certified robustness (IBP, CROWN) at these L∞ ε (comma-separated), at the adaptive ratios: rows certified-ibp, certified-crown beside the attacks',
      (v: string) => v.split(',').map((x) => parseNumber(1e-6, 1)(x)),
    )
    .option(
      '--certify-images <n>',
      'certify the first n test images (default: as many as PGD attacks)',
      parseInteger(1),
    )
    .option('--pgd-images <n>', 'run PGD on the first n test images (default: all)', parseInteger(1))
    .option(
      '--fine-tune <iterations>',
      "fine-tune each pruned model (ratio > 0) this many iterations under its mask, with the model's training settings, before measuring it",
      parseInteger(1),
    )
    .option(
      '--save-models',
      "write each measured model (pruned, and fine-tuned with --fine-tune) to --out/models/ in torch.nn.utils.prune's layout; units done by an earlier run are not rewritten",
    )
    .addOption(kernelsOption())
    .option('--shard <i/n>', 'run only units k with k mod n = i (merge the folders with `sparsegrad merge`)')
    .option('--out <dir>', 'output folder (rerun the same command to resume)', 'runs/sweep')
    .action(async (o) => {
      const spec = sweepSpecOf(o);
      const full = loadData(o.data);
      const validation = o.validation ?? 0;
      const fromTest = validation > 0 && o.validationFrom === 'test';
      const split = !validation
        ? { train: full.train, validation: undefined }
        : fromTest
          ? { train: full.train, validation: skip(full.test, full.test.count - validation) }
          : holdOut(full.train, validation);
      const reported = fromTest ? take(full.test, full.test.count - validation) : full.test;
      if (fromTest && validation >= full.test.count)
        throw new ConfigError(`--validation ${o.validation}: the test set has ${full.test.count} images`);
      const n = Math.min(o.testImages ?? reported.count, reported.count);
      const data = {
        ...full,
        test: take(reported, n),
        name: `${full.name}${n < full.test.count ? ` (first ${n} test images${fromTest ? `; last ${o.validation} for validation` : ''})` : ''}`,
      };
      const noises = o.noise.map((f) => loadNoise(f, full.test.shape));
      for (const n of noises)
        if (collapsed(n.noise, n.limit))
          console.log(
            `warning: noise ${n.name} has mean |n| ${meanAbs(n.noise).toFixed(4)} < 0.1·limit: it collapsed on the model it was made on (rows flagged "collapsed")`,
          );
      const g = await openGpu();
      // tuned: winners cached for this adapter are used, and --decouple measures each CSR layer's mapping.
      const tuning = applyKernels(o.kernels, g);
      defaultBackend().kernels.tuner = tuning?.tuner ?? null;
      const models: SweepModel[] = [];
      const configs: TrainConfig[] = [];
      let trainConfig: TrainConfig | null = null;
      for (const file of o.model) {
        const { model, config } = loadModel(file, full);
        trainConfig ??= config;
        configs.push(config);
        models.push({
          name: file,
          seed: config.seed,
          model,
          weights: await Promise.all(model.weights.map((w) => w.read())),
        });
      }
      if (o.saveModels && o.decouple)
        throw new ConfigError('--save-models writes dense models; it does not combine with --decouple');
      if (o.fineTune) {
        if (o.decouple)
          throw new ConfigError('--fine-tune trains dense pruned models; it does not combine with --decouple');
        spec.fineTune = { iterations: o.fineTune, config: { ...trainConfig!, seed: o.seed } };
      }
      const shard = o.shard ? parseShard(o.shard) : null;
      const all = sweepUnits(spec, models);
      const mine = shard ? all.filter((u) => u.index % shard.count === shard.index) : all;
      const files = new SweepFiles(o.out, {
        tool: 'sparsegrad sweep',
        spec,
        models: models.map((m) => ({ name: m.name, seed: m.seed })),
        noises: noises.map((n) => n.name),
        data: data.name,
        adapter: adapterName(g.adapter),
        ...(split.validation && { validation: true }),
      });
      const todo = files.resume(mine);
      console.log(
        `${all.length} units (${models.length} model(s) × ${spec.methods.length} method(s) × ${spec.scopes.length} scope(s) × ${spec.ratios.length} ratios), ${1 + noises.length} evaluations of ${data.test.count} test images each` +
          `${shard ? `; shard ${shard.index}/${shard.count}: ${mine.length} units` : ''}; ${mine.length - todo.length} already done`,
      );
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'sweep [{bar}] {value}/{total} units | {what} | ETA {eta_formatted}' },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(mine.length, mine.length - todo.length, { what: '' });
      const t0 = performance.now();
      let done = 0;
      await runSweep(
        spec,
        models,
        { test: data.test, train: split.train, validation: split.validation },
        noises,
        todo,
        (unit, rows) => {
          files.add(rows);
          done++;
          for (const r of rows.filter((x) => x.flags && x.attack !== 'transfer'))
            console.log(
              `attack failure at ${unit.method} ${unit.scope} r=${unit.ratio}: ${r.attack} ${r.noise} ${pct(r.accuracy)} (${r.flags})`,
            );
          bar?.update(mine.length - todo.length + done, {
            what: `${unit.method} ${unit.scope} r=${unit.ratio}: clean ${pct(rows[0].accuracy)}`,
          });
          if (!bar && (done % 10 === 0 || done === todo.length))
            console.log(
              `${done}/${todo.length} units, last ${unit.method} ${unit.scope} r=${unit.ratio}: clean ${pct(rows[0].accuracy)}`,
            );
        },
        o.saveModels
          ? async (unit, model, keep) => {
              const name = `${models.length > 1 ? `model${unit.model}-` : ''}${unit.method}-${unit.scope.replace(':', '')}-${unit.ratio}.safetensors`;
              writeAtomic(
                join(o.out, 'models', name),
                await modelToBytes(model, configs[unit.model], keep, 'torch-prune'),
              );
            }
          : undefined,
      );
      bar?.stop();
      console.log(
        `${todo.length} units in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${files.csv}, ${files.json}`,
      );
      if (split.validation && !shard) {
        const rule: CleanRule = o.cleanFloor !== undefined ? { atLeast: o.cleanFloor } : { drop: 0.005 };
        const chosen = [...chooseRatios(files.rows, rule)].map(([k, ratio]) => {
          const [seed, method, scope] = k.split('|');
          return { seed: Number(seed), method, scope, ratio };
        });
        writeAtomic(join(o.out, 'chosen.json'), JSON.stringify({ rule, chosen }, null, 2));
        console.log(
          `highest ratio keeping clean validation accuracy ${'atLeast' in rule ? `≥ ${rule.atLeast}` : 'within 0.5 points of unpruned'} (chosen.json):`,
        );
        table(
          ['seed', 'method', 'scope', 'ratio'],
          chosen.map((c) => [String(c.seed), c.method, c.scope, String(c.ratio)]),
        );
      }
    });

  program
    .command('merge')
    .description('join the folders of a sharded sweep into what one unsharded run writes')
    .requiredOption('--out <dir>', 'merged output folder')
    .argument('<shards...>', 'shard output folders')
    .action((shards, o) => {
      const n = mergeShards(shards, o.out);
      console.log(`merged ${shards.length} shards: ${n} rows into ${o.out}/sweep.csv`);
    });
}
