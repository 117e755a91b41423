import type { Command } from 'commander';
import { join } from 'node:path';
import { openGpu, loadModel, loadData, table } from './common';
import { loadNoise } from '../adversarial/noise-files';
import { pgd, ATTACK_LOSSES, type AttackLoss } from '../adversarial/pgd';
import { take, skip } from '../data/dataset';
import { DETECT_SCORES, SCORE_MEANING, type DetectScore } from '../detect/scores';
import { detectionRows, pgdDetectAttack, universalAttack, type DetectAttack } from '../detect/evaluate';
import { writeAtomic } from '../io/files';
import { adapterName } from '../gpu/device';
import { ConfigError } from '../gpu/errors';
import { parseChoice, parseInteger, parseList, parseNumber } from './options';

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('flag noisy inputs from the model\'s raw outputs: ROC-AUC and the true-positive rate at 5% false positives per score, for universal noise and PGD')
    .requiredOption('--model <file>', 'model.safetensors')
    .option('--noise <files...>', 'universal noise .safetensors files', [])
    .option('--pgd <eps>', 'PGD at these ε (comma-separated)', (v: string) => v.split(',').map((x) => parseNumber(0, 1)(x)))
    .option('--pgd-steps <n>', 'PGD steps', parseInteger(1), 40)
    .option('--pgd-loss <loss>', `PGD loss: ${ATTACK_LOSSES.join(', ')}`, parseChoice([...ATTACK_LOSSES]), 'ce')
    .option('--aware <weights>', 'also a detector-aware PGD at each --pgd ε, per weight (comma-separated): it minimises weight × the detector\'s score besides its loss', (v: string) => v.split(',').map((x) => parseNumber(0, 1e6)(x)))
    .option('--aware-score <score>', 'what the aware attacker keeps clean-looking: onehot (distance to the nearest one-hot) or msp (max softmax); default: onehot for a linear-quadratic model, msp for softmax-CE', parseChoice(['onehot', 'msp']))
    .option('--scores <list>', `scores: ${DETECT_SCORES.join(', ')}`, parseList([...DETECT_SCORES]), [...DETECT_SCORES])
    .option('--data <source>', 'embedded or a folder of MNIST IDX files', 'embedded')
    .option('--validation <n>', 'the last n test images choose each threshold (5% of them flagged); the rest are reported', parseInteger(1), 1000)
    .option('--test-images <n>', 'report on the first n of the remaining test images (default: all)', parseInteger(1))
    .option('--seed <n>', 'seed of PGD\'s random start', parseInteger(0), 1)
    .option('--out <dir>', 'output folder (detect.csv, detect.json)', 'runs/detect')
    .action(async (o) => {
      const full = loadData(o.data);
      if (o.validation >= full.test.count) throw new ConfigError(`--validation ${o.validation}: the test set has ${full.test.count} images`);
      const validation = skip(full.test, full.test.count - o.validation);
      const rest = take(full.test, full.test.count - o.validation);
      const test = take(rest, Math.min(o.testImages ?? rest.count, rest.count));
      if (!o.noise.length && !o.pgd) throw new ConfigError('detect: give --noise files and/or --pgd ε');
      const g = await openGpu();
      const { model, config } = loadModel(o.model);
      const attacks: DetectAttack[] = (o.noise as string[]).map((f) => universalAttack(test, loadNoise(f)));
      if (o.aware && !o.pgd) throw new ConfigError('--aware attacks at the --pgd ε: give --pgd too');
      const awareScore = (o.awareScore ?? (config.loss === 'quadratic' ? 'onehot' : 'msp')) as 'onehot' | 'msp';
      for (const eps of (o.pgd ?? []) as number[]) {
        const plain = pgd(eps, o.pgdSteps, { loss: o.pgdLoss as AttackLoss, seed: o.seed });
        attacks.push(await pgdDetectAttack(model, test, plain));
        for (const weight of (o.aware ?? []) as number[]) attacks.push(await pgdDetectAttack(model, test, { ...plain, detector: { score: awareScore, weight } }));
      }
      const rows = await detectionRows(model, validation, test, attacks, o.scores as DetectScore[]);
      const f = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(3));
      table(['attack', 'robust acc', 'fooled', 'score', 'AUC', 'AUC (fooled)', 'TPR@5%', 'TPR@5% (fooled)', 'test FPR', 'evaded'],
        rows.map((r) => [r.attack, `${(100 * r.robustAccuracy).toFixed(2)}%`, Number.isNaN(r.fooled) ? '-' : String(r.fooled), r.score, f(r.auc), f(r.aucFooled), f(r.tprAt5), f(r.tprAt5Fooled), f(r.fprTest), `${(100 * r.evaded).toFixed(2)}%`]));
      const header = 'model,loss,attack,score,auc,auc_fooled,tpr_at_5fpr,tpr_at_5fpr_fooled,test_fpr,threshold,robust_accuracy,fooled,evaded,clean_images,validation_images,adapter,seed';
      const num = (x: number | null) => (x === null || Number.isNaN(x) ? '' : x);
      const csv = rows.map((r) => [o.model, config.loss, `"${r.attack}"`, r.score, num(r.auc), num(r.aucFooled), num(r.tprAt5), num(r.tprAt5Fooled), r.fprTest, r.threshold, r.robustAccuracy, num(r.fooled), r.evaded, r.clean, validation.count, `"${adapterName(g.adapter)}"`, o.seed].join(','));
      writeAtomic(join(o.out, 'detect.csv'), [header, ...csv].join('\n') + '\n');
      writeAtomic(join(o.out, 'detect.json'), JSON.stringify({
        tool: 'sparsegrad detect', model: o.model, loss: config.loss, data: full.name, adapter: g.adapter, seed: o.seed,
        validation: `last ${o.validation} test images (thresholds)`, test: `first ${test.count} test images`, pgd: o.pgd ? { steps: o.pgdSteps, loss: o.pgdLoss } : null,
        scores: Object.fromEntries((o.scores as DetectScore[]).map((s) => [s, SCORE_MEANING[s]])), rows,
      }, null, 2));
      console.log(`wrote ${join(o.out, 'detect.csv')}, ${join(o.out, 'detect.json')}`);
    });
}
