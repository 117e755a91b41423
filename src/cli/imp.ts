import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { openGpu, loadData, pct } from './common.js';
import { layersOf } from '../nn/config.js';
import { addTrainingOptions, trainingConfig } from './training-options.js';
import { parseScope } from '../prune/prune.js';
import { runImp } from '../study/imp.js';
import { parseInteger, parseNumber } from './options.js';
import { applyKernels, kernelsOption } from './kernels.js';
import { fitToData } from '../nn/train.js';
import { tuneForTraining } from '../nn/tune.js';
import { ConfigError } from '../util/errors.js';
import { progressReporter } from './progress.js';

export function registerImp(program: Command): void {
  addTrainingOptions(
    program
      .command('imp')
      .description(
        'iterative magnitude pruning with rewinding: train, prune a share of the remaining weights by |w|, rewind, retrain under the mask; a row per round (resumable). --iterations is per round: the dense run trains that many, each pruned round from --rewind to there',
      ),
  )
    .option('--rounds <n>', 'pruning rounds after the dense run', parseInteger(1), 5)
    .option('--per-round <x>', 'share of the remaining weights pruned each round', parseNumber(0.001, 0.999), 0.2)
    .option('--rewind <k>', 'rewind to the weights at iteration k (0: the initialisation)', parseInteger(0), 0)
    .option('--scope <scope>', 'per-matrix (the same share of every matrix) or global (one threshold)', 'per-matrix')
    .option('--out <dir>', 'results folder (rerun the same command to resume)', 'runs/imp')
    .option('--force', 'start over: delete the rounds an earlier run left in --out (made with other settings)')
    .addOption(kernelsOption())
    .action(async (o) => {
      const config = trainingConfig(o);
      const scope = parseScope(o.scope, layersOf(config).length);
      if (scope.kind === 'layer') throw new ConfigError('imp: --scope is per-matrix or global');
      if (o.force)
        for (const f of existsSync(o.out) ? readdirSync(o.out) : [])
          if (/^(round-\d+|rewind\.safetensors|imp\.(csv|json)|imp-settings\.json)$/.test(f))
            rmSync(join(o.out, f), { recursive: true, force: true });
      const data = loadData(o.data);
      Object.assign(config, fitToData(config, data)); // the image shape and classes of this data
      const g = await openGpu();
      const tuning = applyKernels(o.kernels, g);
      if (tuning) await tuneForTraining(config, tuning.tuner); // measured (or read from the cache) once, for every round
      const progress = progressReporter();
      const rows = await runImp(
        { config, rounds: o.rounds, perRound: o.perRound, rewind: o.rewind, scope },
        data,
        o.out,
        g.adapter,
        (line) => {
          progress.stop();
          console.log(line);
        },
        (done, total) => progress.update('imp (iterations of all rounds)', done, total),
      );
      progress.stop();
      console.log(
        `\n${rows.map((r) => `round ${r.round}: ${pct(r.sparsity)} pruned → ${pct(r.testAccuracy)}`).join('\n')}\nwrote ${o.out}/imp.csv, imp.json, round-*/`,
      );
    });
}
