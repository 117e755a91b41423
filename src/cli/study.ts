import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { readFileSync } from 'node:fs';
import { writeReport } from '../report/report.js';
import { runStudy, STUDY_PRESETS, type StudyOptions, type StudyPreset } from '../study/study.js';
import { withOverrides } from '../study/preset-overrides.js';
import { ConfigError } from '../util/errors.js';
import { printFindings } from '../study/findings.js';
import { openGpu } from './common.js';
import { DATA_SOURCES } from './shared-options.js';
import { DEFAULT_CONFIG } from '../nn/config.js';
import { progressReporter } from './progress.js';
import { parseIntList, parseInteger, parseList } from './options.js';
import { applyKernels, kernelsOption } from './kernels.js';

/** What a study preset sets, for --help. */
function presetText(name: string): string {
  const p = STUDY_PRESETS[name];
  const hidden = p.train.hidden ?? DEFAULT_CONFIG.hidden;
  const r = p.ratios;
  const pgd = p.adaptive.pgd;
  return [
    `${name}: data ${p.data || 'given by --data'}`,
    `FC ${hidden.join(',')}, ${p.train.iterations} iterations`,
    `${p.validation} validation images`,
    `${r.length} ratios ${r[0]}–${r.at(-1)}`,
    `noise ${p.noiseSteps} Adam steps`,
    pgd ? `PGD ε ${pgd.epsilons.join(',')}, ${pgd.steps} steps, ${pgd.losses.join('+')}` : 'no PGD',
    'atLeast' in p.clean
      ? `chosen ratios keep ≥ ${100 * p.clean.atLeast}% clean validation accuracy`
      : `chosen ratios lose ≤ ${100 * p.clean.drop} points of clean validation accuracy`,
  ].join(', ');
}
const byStudyPreset = (value: (p: StudyPreset) => unknown) =>
  `(default: the preset's: ${Object.keys(STUDY_PRESETS)
    .map((n) => `${n} ${value(STUDY_PRESETS[n])}`)
    .join(', ')})`;

export function registerStudy(program: Command): void {
  program
    .command('study')
    .description(
      'the main job: train the linear-quadratic FC model per seed, make the eight noise vectors on each, sweep pruning (abs, act, combined and the random and pixel-mask controls; all layers and per layer), attack each chosen pruned model itself, write a results folder',
    )
    .addOption(
      new Option(
        '--preset <name>',
        `default: minutes on a CPU, embedded digits; paper: the study's full settings on full MNIST. ${Object.keys(STUDY_PRESETS).map(presetText).join('. ')}`,
      )
        .choices(Object.keys(STUDY_PRESETS))
        .default('default'),
    )
    .option(
      '--data <source>',
      `override the preset's data: ${DATA_SOURCES} ${byStudyPreset((p) => p.data || '(required)')}`,
    )
    .option('--seeds <list>', 'one model per seed; sweeps report mean and 95% interval', parseIntList, [1])
    .option('--model <files>', 'use these trained models (one per seed) instead of training', (v: string) =>
      v.split(','),
    )
    .option(
      '--iterations <n>',
      `override the preset's training iterations ${byStudyPreset((p) => p.train.iterations)}`,
      parseInteger(1),
    )
    .option(
      '--ratios <spec>',
      `override the preset's ratios: start:stop:step or a comma list ${byStudyPreset((p) => `${p.ratios[0]}:${p.ratios.at(-1)}:${Math.round((p.ratios[1] - p.ratios[0]) * 1e6) / 1e6}`)}`,
    )
    .option(
      '--sweeps <list>',
      `run only these of the preset's sweeps (per-matrix and pixel-mask are needed for the comparison) ${byStudyPreset((p) => p.sweeps.map((w) => w.name).join(','))}`,
      parseList(),
    )
    .option(
      '--adaptive-steps <n>',
      `override the Adam steps of each adaptive universal noise ${byStudyPreset((p) => p.adaptive.noiseSteps)}`,
      parseInteger(1),
    )
    .option(
      '--pgd-steps <n>',
      `override the adaptive PGD steps ${byStudyPreset((p) => p.adaptive.pgd?.steps ?? '-')}`,
      parseInteger(1),
    )
    .option(
      '--pgd-images <n>',
      `adaptive PGD on the first n test images only, and the certified bounds beside it (default: all; certified ${byStudyPreset((p) => p.certify?.images ?? '-')})`,
      parseInteger(1),
    )
    .option(
      '--model-config <file>',
      'study an nn model (Sequential layers from JSON, as train --model-config) instead of the FC net',
    )
    .addOption(kernelsOption())
    .option('--out <dir>', 'results folder (rerun the same command to resume)', 'results/study')
    .action(async (o) => {
      let modelConfig: StudyOptions['modelConfig'];
      if (o.modelConfig) {
        try {
          modelConfig = JSON.parse(readFileSync(o.modelConfig, 'utf8'));
        } catch (e) {
          throw new ConfigError(`--model-config ${o.modelConfig}: ${(e as Error).message}`);
        }
        if (o.model) throw new ConfigError('--model-config and --model: give the layers to train, or trained models');
      }
      const g = await openGpu();
      const tuning = applyKernels(o.kernels, g);
      if (o.kernels !== 'tuned') console.log(`kernels: ${o.kernels}`); // tuned without timestamps: applyKernels said so
      const progress = progressReporter();
      const t0 = performance.now();
      const summary = await runStudy(g, {
        preset: withOverrides(STUDY_PRESETS[o.preset], o),
        out: o.out,
        seeds: o.seeds,
        models: o.model,
        modelConfig,
        data: o.data,
        tuner: tuning?.tuner,
        tunerCache: tuning?.cache,
        log: (line) => {
          progress.stop();
          console.log(line);
        },
        progress: progress.update,
      });
      progress.stop();
      console.log(`report: ${writeReport(o.out)}`); // after study.json: the report shows its findings
      printFindings(summary, console.log);
      console.log(
        `\nstudy finished in ${((performance.now() - t0) / 1000).toFixed(0)} s; results in ${o.out}/ (study.json, robustness.csv, sweep-*/, adaptive/seed*/, noise/seed*/, report.html)`,
      );
    });
}
