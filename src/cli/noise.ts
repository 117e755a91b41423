import type { Command } from '@commander-js/extra-typings';
import { dataOption } from './shared-options.js';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import {
  makeNoise,
  DEFAULT_NOISE,
  UNIVERSAL_RECIPES,
  collapsed,
  meanAbs,
  type UniversalRecipe,
} from '../adversarial/noise.js';
import { deviceImagesFor } from '../nn/batches.js';
import { fileStem, saveNoise } from '../adversarial/noise-files.js';
import { refuseOtherSettings } from '../io/run-settings.js';
import { join } from 'node:path';
import { robustness } from '../adversarial/evaluate.js';
import { STUDY_VECTORS } from '../study/study.js';
import { openGpu, loadModel, loadData, pct, table } from './common.js';
import { parseChoice, parseInteger, parseNumber } from './options.js';

function parseVectors(v: string): [number, number][] {
  if (v === 'study') return STUDY_VECTORS;
  return v.split(',').map((pair) => {
    const [t, l] = pair.split(/[:/]/).map(Number);
    if (!Number.isInteger(t) || t < 0 || t > 9) throw new InvalidArgumentError(`"${pair}": target must be a digit 0–9`);
    if (!(l > 0 && l <= 1)) throw new InvalidArgumentError(`"${pair}": limit must be in (0, 1]`);
    return [t, l];
  });
}

export function registerNoise(program: Command): void {
  program
    .command('noise')
    .description('make universal adversarial noise (one image per target class) on a trained model')
    .requiredOption('--model <file>', 'model.safetensors from `sparsegrad train`')
    .option('--target <class>', 'target class (0 … classes − 1)', parseInteger(0))
    .option('--limit <x>', 'pixel-intensity limit on |noise|', parseNumber(1e-9, 1))
    .option(
      '--vectors <list>',
      'several target:limit pairs, e.g. 3:0.25,1:0.15, or "study" for the eight of the study',
      parseVectors,
    )
    .option('--steps <n>', 'Adam steps', parseInteger(1), DEFAULT_NOISE.steps)
    .option('--batch <n>', 'training images per step', parseInteger(1), DEFAULT_NOISE.batch)
    .option('--lr <x>', 'Adam learning rate', parseNumber(1e-12), DEFAULT_NOISE.lr)
    .option(
      '--recipe <name>',
      `study (penalty 0.02·½‖n‖², as published) or no-penalty (cannot collapse on a pruned model); --l2 overrides`,
      parseChoice(Object.keys(UNIVERSAL_RECIPES) as UniversalRecipe[]),
      'study' as const,
    )
    .option('--l2 <x>', "weight of ½‖n‖² in the loss (default: the recipe's)", parseNumber(0))
    .option('--seed <n>', 'seed for batch order', parseInteger(0), DEFAULT_NOISE.seed)
    .addOption(dataOption())
    .option('--out <dir>', 'output folder', 'runs/noise')
    .option('--force', 'overwrite noise files made on another model or with other settings')
    .action(async (o) => {
      const vectors: [number, number][] | null =
        o.vectors ?? (o.target !== undefined && o.limit !== undefined ? [[o.target, o.limit]] : null);
      if (!vectors) throw new InvalidArgumentError('give --target and --limit, or --vectors');
      const settingsOf = (target: number, limit: number) => ({
        target,
        limit,
        steps: o.steps,
        batch: o.batch,
        lr: o.lr,
        l2: o.l2 ?? UNIVERSAL_RECIPES[o.recipe].l2,
        seed: o.seed,
      });
      // Before any work: a noise file of another model or other settings is never overwritten.
      for (const [target, limit] of vectors)
        refuseOtherSettings(
          join(o.out, `${fileStem(target, limit)}.json`),
          { settings: settingsOf(target, limit), model: o.model },
          !!o.force,
          (j) => ({ settings: j.settings, model: j.model }),
        );
      const data = loadData(o.data);
      const g = await openGpu();
      const { model } = loadModel(o.model, data);
      const made = [];
      const trainImages = deviceImagesFor(data.train); // one upload for every vector
      for (const [target, limit] of vectors) {
        const s = settingsOf(target, limit);
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar(
              { format: `noise ${target}/${limit} [{bar}] {value}/{total} steps | ETA {eta_formatted}` },
              cliProgress.Presets.shades_classic,
            )
          : null;
        bar?.start(s.steps, 0);
        const t0 = performance.now();
        const noise = await makeNoise(model, data.train, s, (step) => bar?.update(step), { images: trainImages });
        bar?.stop();
        const seconds = (performance.now() - t0) / 1000;
        const [clean, under] = await robustness(model, data.test, [
          { target, limit, noise, name: `${target}/${limit}` },
        ]);
        const files = saveNoise(o.out, noise, s, o.model, data.test, {
          adapter: g.adapter,
          data: data.name,
          seconds,
          cleanAccuracy: clean.accuracy,
          accuracy: under.accuracy,
          foolingRate: under.foolingRate,
          meanAbs: meanAbs(noise),
          collapsed: collapsed(noise, limit),
        });
        made.push([
          `${target}/${limit}`,
          pct(clean.accuracy),
          pct(under.accuracy),
          pct(under.foolingRate),
          meanAbs(noise).toFixed(4) + (collapsed(noise, limit) ? ' (collapsed)' : ''),
          seconds.toFixed(1),
          files[0],
        ]);
      }
      trainImages?.dispose();
      table(['noise', 'clean acc', 'noisy acc', 'fooling', 'mean |n|', 'seconds', 'file'], made);
    });
}
