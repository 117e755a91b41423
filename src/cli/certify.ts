import { existsSync } from 'node:fs';
import { deepFreeze } from '../util/freeze.js';
import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { openGpu, loadData, loadModel, pct, table } from './common.js';
import { dataOption, pgdLossOption, pgdRestartsOption, pgdStepsOption } from './shared-options.js';
import { parseInteger, parseList, parseNumber } from './options.js';
import { progressReporter } from './progress.js';
import { CERTIFY_METHODS, certifyModel } from '../certify/certify.js';
import { DEFAULT_SUITE } from '../adversarial/suite.js';
import { take } from '../data/dataset.js';
import { adapterName } from '../gpu/device.js';
import { writeAtomic } from '../io/files.js';
import { ConfigError } from '../util/errors.js';

/**
 * ε where bounds say something about naturally trained MNIST nets: IBP certifies little beyond
 * 0.01 and CROWN little beyond 0.05, while PGD needs ε ≈ 0.1 to break most images.
 */
export const CERTIFY_EPSILONS = deepFreeze([0.005, 0.01, 0.02, 0.03, 0.05]);

export function registerCertify(program: Command): void {
  program
    .command('certify')
    .description(
      'certified L∞ robustness per image: lower bounds of every margin by interval bound propagation (IBP) and by backward linear relaxation (CROWN), beside PGD at the same ε (the upper bound); a universal noise of limit ε is one point of each ball, so the certified share also bounds robustness to it from below',
    )
    .requiredOption('--model <file>', 'model.safetensors (Linear, Conv2d, AvgPool2d, ReLU, Flatten, Dropout layers)')
    .addOption(dataOption())
    .option(
      '--eps <list>',
      `L∞ radii (comma-separated), in pixel units of [0, 1] (default: ${CERTIFY_EPSILONS.join(',')}: where bounds are informative for naturally trained nets)`,
      (v: string) => v.split(',').map((x) => parseNumber(1e-6, 1)(x)),
      [...CERTIFY_EPSILONS],
    )
    .addOption(
      new Option('--method <list>', `bounds: ${CERTIFY_METHODS.join(', ')}`)
        .argParser(parseList([...CERTIFY_METHODS]))
        .default([...CERTIFY_METHODS], CERTIFY_METHODS.join(',')),
    )
    .option('--test-images <n>', 'the first n test images', parseInteger(1), 1000)
    .option('--no-pgd', 'no PGD upper bound')
    .addOption(pgdStepsOption())
    .addOption(pgdRestartsOption())
    .addOption(pgdLossOption())
    .option('--seed <n>', "seed of PGD's random starts", parseInteger(0), 1)
    .option('--batch <n>', 'images per bound pass', parseInteger(1), 100)
    .option('--out <file>', 'JSON results (and a CSV of every image beside it)', 'runs/certify.json')
    .option('--force', 'overwrite --out')
    .action(async (o) => {
      if (!o.out.endsWith('.json')) throw new ConfigError(`--out ${o.out}: results are written as .json`);
      const csvFile = o.out.replace(/\.json$/, '.csv');
      if (existsSync(o.out) && !o.force)
        throw new ConfigError(`--out ${o.out} exists; give another file, or --force to overwrite it`);
      const full = loadData(o.data);
      const test = take(full.test, Math.min(o.testImages, full.test.count));
      const g = await openGpu();
      const { model } = loadModel(o.model, full);
      const attacks = o.pgd
        ? {
            ...DEFAULT_SUITE,
            steps: o.pgdSteps,
            restarts: o.pgdRestarts,
            losses: o.pgdLoss,
            seed: o.seed,
          }
        : null;
      const progress = progressReporter();
      const t0 = performance.now();
      const { clean, rows, images } = await certifyModel(model, test, o.eps, [...o.method], attacks, {
        batch: o.batch,
        progress: progress.update,
      });
      progress.stop();
      const seconds = (performance.now() - t0) / 1000;
      const of = (eps: number, m: string) => rows.find((r) => r.epsilon === eps && r.method === m);
      console.log(`clean accuracy ${pct(clean)} on the first ${test.count} test images of ${full.name}`);
      table(
        [
          'ε',
          ...o.method.map((m: string) => `certified (${m})`),
          ...(attacks ? ['PGD (upper)', 'gap'] : []),
          ...o.method.map((m: string) => `${m} images/s`),
        ],
        o.eps.map((eps) => {
          const best = Math.max(...o.method.map((m: string) => of(eps, m)!.accuracy));
          const pgd = of(eps, 'pgd');
          return [
            String(eps),
            ...o.method.map((m: string) => pct(of(eps, m)!.accuracy)),
            ...(pgd ? [pct(pgd.accuracy), `${(100 * (pgd.accuracy - best)).toFixed(2)} points`] : []),
            ...o.method.map((m: string) => of(eps, m)!.imagesPerSecond.toFixed(1)),
          ];
        }),
      );
      const csv = ['image,label,epsilon,method,lowest_margin_bound,certified,pgd_broken'];
      for (const at of images)
        for (const [method, lowest] of Object.entries(at.lowest))
          lowest.forEach((b, i) =>
            csv.push(
              `${i},${test.labels[i]},${at.epsilon},${method},${b.toPrecision(7)},${b > 0 ? 1 : 0},${at.broken ? at.broken[i] : ''}`,
            ),
          );
      writeAtomic(csvFile, `${csv.join('\n')}\n`);
      writeAtomic(
        o.out,
        JSON.stringify(
          {
            tool: 'sparsegrad certify',
            model: o.model,
            data: `${full.name} (first ${test.count} test images)`,
            adapter: adapterName(g.adapter),
            settings: { eps: o.eps, methods: o.method, pgd: attacks, batch: o.batch, seed: o.seed },
            meaning:
              'certified: every margin z_y - z_j has a lower bound above 0 over the L-inf ball of radius eps clipped to [0, 1]; ibp: interval bound propagation with the last layer folded into the margins; crown: backward linear relaxation (adaptive lower slope), intermediate bounds intersected with IBP, final bound the larger of its own and IBP; pgd: robust accuracy under the worst of the PGD attacks (an upper bound). certified <= true robust accuracy <= pgd. A universal noise of limit eps is one point of each ball, so certified also bounds robustness to it from below.',
            clean,
            seconds,
            rows,
          },
          null,
          2,
        ),
      );
      console.log(`wrote ${o.out}, ${csvFile} (${seconds.toFixed(1)} s)`);
    });
}
