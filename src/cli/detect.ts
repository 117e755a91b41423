import type { Command } from '@commander-js/extra-typings';
import { join } from 'node:path';
import { openGpu, loadModel, loadData, table } from './common.js';
import { loadNoise } from '../adversarial/noise-files.js';
import { pgd, DETECTOR_TOWARD } from '../adversarial/pgd.js';
import { take, skip } from '../data/dataset.js';
import { DETECT_SCORES, SCORE_MEANING } from '../detect/scores.js';
import {
  detectionRows,
  pgdDetectAttack,
  universalAttack,
  type DetectAttack,
  type DetectRow,
} from '../detect/evaluate.js';
import { PRUNE_METHODS, Pruner, scoreSets, type PruneMethod } from '../prune/prune.js';
import { calibrationIndices, layerInputStats } from '../prune/stats.js';
import type { Model } from '../nn/model.js';
import type { Dataset } from '../data/dataset.js';

/** A per-matrix pruner of `model` by `method` (calibrated on training images where the method needs it). */
async function prunerFor(
  model: Model,
  method: PruneMethod,
  train: Dataset,
  calibration: number,
  seed: number,
): Promise<Pruner> {
  const weights = await Promise.all(model.weights.map((w) => w.read()));
  const needsStats = scoreSets(method).some((m) => m !== 'abs' && m !== 'random');
  const stats = needsStats ? await layerInputStats(model, train, calibrationIndices(train, calibration, seed)) : null;
  const scope = method === 'pixel-mask' ? { kind: 'layer' as const, layer: 1 } : { kind: 'per-matrix' as const };
  return new Pruner(model, weights, stats, { method, scope, combinedOffset: 0.07, seed });
}
import { writeAtomic } from '../io/files.js';
import { refuseOtherSettings } from '../io/run-settings.js';
import { adapterName } from '../gpu/device.js';
import { dataOption, pgdEpsilonsOption, pgdLossOption, pgdRestartsOption, pgdStepsOption } from './shared-options.js';
import { progressReporter } from './progress.js';
import { ConfigError } from '../util/errors.js';
import { parseChoice, parseInteger, parseList, parseNumber } from './options.js';

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description(
      "flag noisy inputs from the model's raw outputs: ROC-AUC and the true-positive rate at 5% false positives per score, for universal noise and PGD",
    )
    .requiredOption('--model <file>', 'model.safetensors')
    .option('--noise <files...>', 'universal noise .safetensors files', [])
    .addOption(pgdEpsilonsOption('PGD'))
    .addOption(pgdStepsOption())
    .addOption(pgdRestartsOption())
    .addOption(pgdLossOption())
    .option(
      '--aware <weights>',
      "also a detector-aware PGD at each --pgd ε, per weight (comma-separated): it minimises weight × the detector's score besides its loss",
      (v: string) => v.split(',').map((x) => parseNumber(0, 1e6)(x)),
    )
    .option(
      '--aware-score <score>',
      'what the aware attacker keeps clean-looking: onehot (distance to the nearest one-hot), msp (max softmax) or max (the largest output); default: onehot for a linear-quadratic model, msp for softmax-CE',
      parseChoice(['onehot', 'msp', 'max'] as const),
    )
    .option(
      '--aware-toward <list>',
      "the class the aware attacker's outputs are pulled towards (comma-separated, each at every weight): wrong (the top wrong class: a confident wrong answer) or top (the current top class: the detector's own score, which resists fooling while the image is still right)",
      parseList([...DETECTOR_TOWARD]),
      ['wrong' as const],
    )
    .option('--scores <list>', `scores: ${DETECT_SCORES.join(', ')}`, parseList([...DETECT_SCORES]), [...DETECT_SCORES])
    .option(
      '--method <method>',
      `prune the model by this method first (${PRUNE_METHODS.join(', ')}) at each of --ratios`,
      parseChoice([...PRUNE_METHODS]),
      'abs',
    )
    .option(
      '--ratios <list>',
      'pruning ratios to measure detection at (0: the model itself), comma-separated',
      (v: string) => v.split(',').map((x) => parseNumber(0, 1)(x)),
      [0],
    )
    .option('--calibration <n>', 'training images for activated-value pruning statistics', parseInteger(1), 2000)
    .addOption(dataOption())
    .option(
      '--validation <n>',
      'the last n test images choose each threshold (5% of them flagged); the rest are reported',
      parseInteger(1),
      1000,
    )
    .option('--test-images <n>', 'report on the first n of the remaining test images (default: all)', parseInteger(1))
    .option('--seed <n>', "seed of PGD's random start", parseInteger(0), 1)
    .option('--out <dir>', 'output folder (detect.csv, detect.json)', 'runs/detect')
    .option('--force', 'overwrite results in --out made with another model, data or settings')
    .action(async (o) => {
      // Everything but where to write is part of the results' identity.
      const { out: _out, force: _force, ...settings } = o;
      refuseOtherSettings(join(o.out, 'detect.json'), settings, !!o.force, (j) => j.settings);
      const full = loadData(o.data);
      if (o.validation >= full.test.count)
        throw new ConfigError(`--validation ${o.validation}: the test set has ${full.test.count} images`);
      const validation = skip(full.test, full.test.count - o.validation);
      const rest = take(full.test, full.test.count - o.validation);
      const test = take(rest, Math.min(o.testImages ?? rest.count, rest.count));
      if (!o.noise.length && !o.pgd) throw new ConfigError('detect: give --noise files and/or --pgd ε');
      const g = await openGpu();
      const { model, config } = loadModel(o.model, full);
      if (o.aware && !o.pgd) throw new ConfigError('--aware attacks at the --pgd ε: give --pgd too');
      const awareScore = o.awareScore ?? (config.loss === 'quadratic' ? 'onehot' : 'msp');
      const method = o.method;
      const pruner = o.ratios.some((r) => r > 0)
        ? await prunerFor(model, method, full.train, o.calibration, o.seed)
        : null;
      const rows: (DetectRow & { ratio: number })[] = [];
      const progress = progressReporter();
      for (const ratio of o.ratios) {
        const m = ratio > 0 ? pruner!.prunedModel(ratio) : model;
        // Universal noise is transferred (made on the model given); PGD attacks each pruned model itself.
        const attacks: DetectAttack[] = o.noise.map((f) => universalAttack(test, loadNoise(f, test.shape)));
        const attacked = (what: string) => (done: number, total: number) =>
          progress.update(`ratio ${ratio}: ${what}`, done, total);
        for (const eps of o.pgd ?? [])
          for (const loss of o.pgdLoss) {
            const plain = pgd(eps, o.pgdSteps, { loss, restarts: o.pgdRestarts, seed: o.seed });
            attacks.push(await pgdDetectAttack(m, test, plain, attacked(`PGD-${loss} ε=${eps}`)));
            for (const toward of o.awareToward)
              for (const weight of o.aware ?? [])
                attacks.push(
                  await pgdDetectAttack(
                    m,
                    test,
                    { ...plain, detector: { score: awareScore, weight, toward } },
                    attacked(`detector-aware PGD-${loss} ε=${eps} (weight ${weight}, ${toward})`),
                  ),
                );
          }
        progress.stop();
        for (const r of await detectionRows(m, validation, test, attacks, o.scores)) rows.push({ ...r, ratio });
        if (m !== model) m.weights.forEach((w) => w.dispose());
      }
      pruner?.dispose();
      const f = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(3));
      table(
        [
          'ratio',
          'attack',
          'robust acc',
          'fooled',
          'score',
          'AUC',
          'AUC (fooled)',
          'TPR@5%',
          'TPR@5% (fooled)',
          'test FPR',
          'evaded',
        ],
        rows.map((r) => [
          String(r.ratio),
          r.attack,
          `${(100 * r.robustAccuracy).toFixed(2)}%`,
          Number.isNaN(r.fooled) ? '-' : String(r.fooled),
          r.score,
          f(r.auc),
          f(r.aucFooled),
          f(r.tprAt5),
          f(r.tprAt5Fooled),
          f(r.fprTest),
          `${(100 * r.evaded).toFixed(2)}%`,
        ]),
      );
      const header =
        'model,loss,method,ratio,attack,score,auc,auc_fooled,tpr_at_5fpr,tpr_at_5fpr_fooled,test_fpr,threshold,robust_accuracy,fooled,evaded,clean_images,validation_images,adapter,seed';
      const num = (x: number | null) => (x === null || Number.isNaN(x) ? '' : x);
      const csv = rows.map((r) =>
        [
          o.model,
          config.loss,
          method,
          r.ratio,
          `"${r.attack}"`,
          r.score,
          num(r.auc),
          num(r.aucFooled),
          num(r.tprAt5),
          num(r.tprAt5Fooled),
          r.fprTest,
          r.threshold,
          r.robustAccuracy,
          num(r.fooled),
          r.evaded,
          r.clean,
          validation.count,
          `"${adapterName(g.adapter)}"`,
          o.seed,
        ].join(','),
      );
      writeAtomic(join(o.out, 'detect.csv'), `${[header, ...csv].join('\n')}\n`);
      writeAtomic(
        join(o.out, 'detect.json'),
        JSON.stringify(
          {
            tool: 'sparsegrad detect',
            settings,
            model: o.model,
            loss: config.loss,
            method,
            ratios: o.ratios,
            data: full.name,
            adapter: g.adapter,
            seed: o.seed,
            validation: `last ${o.validation} test images (thresholds)`,
            test: `first ${test.count} test images`,
            pgd: o.pgd ? { steps: o.pgdSteps, restarts: o.pgdRestarts, losses: o.pgdLoss } : null,
            aware: o.aware ? { weights: o.aware, score: awareScore, toward: o.awareToward } : null,
            scores: Object.fromEntries(o.scores.map((s) => [s, SCORE_MEANING[s]])),
            rows,
          },
          null,
          2,
        ),
      );
      console.log(`wrote ${join(o.out, 'detect.csv')}, ${join(o.out, 'detect.json')}`);
    });
}
