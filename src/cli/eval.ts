import type { Command } from '@commander-js/extra-typings';
import { robustness } from '../adversarial/evaluate.js';
import { loadNoise } from '../adversarial/noise-files.js';
import { DEFAULT_SUITE, runAttackSuite, type AttackRow, type AttackSuite } from '../adversarial/suite.js';
import { take } from '../data/dataset.js';
import { writeAtomic } from '../io/files.js';
import { progressReporter } from './progress.js';
import { refuseOtherSettings, refuseOutputIsInput } from '../io/run-settings.js';
import { openGpu, loadModel, loadData, pct, table } from './common.js';
import { dataOption, pgdEpsilonsOption, pgdLossOption, pgdRestartsOption, pgdStepsOption } from './shared-options.js';
import { parseInteger, parseNumber } from './options.js';

const parseEpsilons = (v: string): number[] => v.split(',').map((s) => parseNumber(0, 1)(s));

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'clean accuracy, accuracy and fooling rate under each noise vector, per-class accuracy; optional FGSM/PGD with the worst case per ε',
    )
    .requiredOption('--model <file>', 'model.safetensors')
    .option('--noise <files...>', 'noise .safetensors files (made on this or another model)', [])
    .addOption(dataOption())
    .option('--test-images <n>', 'evaluate on the first n test images only (default: all)', parseInteger(1))
    .option('--fgsm <eps>', 'FGSM robust accuracy at these ε (comma-separated)', parseEpsilons)
    .addOption(pgdEpsilonsOption('PGD robust accuracy'))
    .addOption(pgdStepsOption())
    .addOption(pgdRestartsOption())
    .addOption(pgdLossOption())
    .option('--pgd-step-factor <x>', 'PGD step size = factor·ε/steps', parseNumber(1e-6), DEFAULT_SUITE.stepFactor)
    .option('--pgd-target <class>', 'targeted PGD/FGSM towards this class (default: untargeted)', parseInteger(0))
    .option('--seed <n>', 'seed of the random starts', parseInteger(0), 1)
    .option('--out <file>', 'JSON results', 'runs/eval.json')
    .option('--force', 'overwrite --out made with another model, data or settings')
    .action(async (o) => {
      const full = loadData(o.data);
      const data = o.testImages
        ? {
            ...full,
            test: take(full.test, o.testImages),
            name: `${full.name} (first ${Math.min(o.testImages, full.test.count)} test images)`,
          }
        : full;
      const noises = o.noise.map((f) => loadNoise(f, full.test.shape));
      const g = await openGpu();
      const { model } = loadModel(o.model, full);
      const rows = await robustness(model, data.test, noises);
      table(
        [
          'noise',
          'accuracy',
          'fooling (all)',
          'fooling (non-target)',
          ...Array.from({ length: rows[0]?.perClassAccuracy.length ?? 0 }, (_, k) => `acc ${k}`),
        ],
        rows.map((r) => [
          r.noise,
          pct(r.accuracy),
          pct(r.foolingRate),
          pct(r.foolingRateNonTarget),
          ...r.perClassAccuracy.map((a) => (100 * a).toFixed(1)),
        ]),
      );
      const target = o.pgdTarget ?? null;
      const fg: number[] = o.fgsm ?? [],
        pg: number[] = o.pgd ?? [];
      const epsilons = [...new Set([...fg, ...pg])].sort((a, b) => a - b);
      const attacks: AttackRow[] = [];
      const settings = {
        fgsm: fg,
        pgd: pg,
        pgdSteps: o.pgdSteps,
        pgdRestarts: o.pgdRestarts,
        pgdLoss: o.pgdLoss,
        pgdStepFactor: o.pgdStepFactor,
        target,
        seed: o.seed,
        randomStart: true,
        clampGradient: 'inclusive',
      };
      refuseOutputIsInput(o.out, [o.model, ...o.noise]);
      refuseOtherSettings(o.out, { model: o.model, data: data.name, settings }, !!o.force, (j) => ({
        model: j.model,
        data: j.data,
        settings: j.settings,
      }));
      // Written after every attack, so a long run that is stopped keeps what it measured.
      const save = (finished: boolean) =>
        writeAtomic(
          o.out,
          JSON.stringify(
            {
              tool: 'sparsegrad eval',
              command: process.argv.slice(2).join(' '),
              model: o.model,
              data: data.name,
              adapter: g.adapter,
              settings,
              finished,
              noise: rows,
              attacks,
            },
            null,
            2,
          ),
        );
      save(!epsilons.length);
      for (const eps of epsilons) {
        const suite: AttackSuite = {
          epsilons: [eps],
          fgsm: fg.includes(eps),
          steps: pg.includes(eps) ? o.pgdSteps : 0,
          restarts: o.pgdRestarts,
          losses: o.pgdLoss,
          stepFactor: o.pgdStepFactor,
          target,
          seed: o.seed,
        };
        const progress = progressReporter();
        await runAttackSuite(
          model,
          data.test,
          suite,
          (r) => {
            progress.stop();
            attacks.push(r);
            save(false);
            console.log(`${r.attack} ε=${r.epsilon}: ${pct(r.accuracy)} (${r.seconds.toFixed(1)} s)`);
          },
          progress.update,
        );
        progress.stop();
      }
      if (attacks.length)
        table(
          ['attack', 'ε', 'steps', 'restarts', 'robust accuracy', 'classified as target', 'image-steps/s'],
          attacks.map((a) => [
            a.attack,
            String(a.epsilon),
            String(a.steps ?? '-'),
            String(a.restarts ?? '-'),
            pct(a.accuracy),
            pct(a.targetRate),
            a.imageStepsPerSecond === null ? '-' : a.imageStepsPerSecond.toFixed(0),
          ]),
        );
      save(true);
      console.log(`wrote ${o.out}`);
    });
}
