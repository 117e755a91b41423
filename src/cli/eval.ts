import type { Command } from 'commander';
import { robustness } from '../adversarial/evaluate';
import { loadNoise } from '../adversarial/noise-files';
import { pgdAttack, fgsm } from '../adversarial/pgd';
import { writeAtomic } from '../io/files';
import { openGpu, loadModel, loadData, pct, table } from './common';
import { parseInteger, parseNumber } from './options';

const parseEpsilons = (v: string): number[] => v.split(',').map((s) => parseNumber(0, 1)(s));

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('clean accuracy, accuracy and fooling rate under each noise vector, per-class accuracy; optional FGSM/PGD')
    .requiredOption('--model <file>', 'model.safetensors')
    .option('--noise <files...>', 'noise .safetensors files (made on this or another model)', [])
    .option('--data <source>', 'embedded or a folder of MNIST IDX files', 'embedded')
    .option('--fgsm <eps>', 'FGSM robust accuracy at these ε (comma-separated)', parseEpsilons)
    .option('--pgd <eps>', 'PGD robust accuracy at these ε (comma-separated)', parseEpsilons)
    .option('--pgd-steps <n>', 'PGD steps', parseInteger(1), 20)
    .option('--pgd-target <digit>', 'targeted PGD/FGSM towards this class (default: untargeted)', parseInteger(0, 9))
    .option('--out <file>', 'JSON results', 'runs/eval.json')
    .action(async (o) => {
      const data = loadData(o.data);
      const noises = (o.noise as string[]).map(loadNoise);
      const g = await openGpu();
      const { model } = loadModel(o.model);
      const rows = await robustness(model, data.test, noises);
      table(['noise', 'accuracy', 'fooling (all)', 'fooling (non-target)', ...Array.from({ length: 10 }, (_, k) => `acc ${k}`)],
        rows.map((r) => [r.noise, pct(r.accuracy), pct(r.foolingRate), pct(r.foolingRateNonTarget), ...r.perClassAccuracy.map((a) => (100 * a).toFixed(1))]));
      const attacks = [];
      const target = o.pgdTarget ?? null;
      for (const eps of o.fgsm ?? []) attacks.push({ attack: 'fgsm', epsilon: eps, target, ...(await pgdAttack(model, data.test, fgsm(eps, target))) });
      for (const eps of o.pgd ?? []) attacks.push({ attack: 'pgd', epsilon: eps, steps: o.pgdSteps, target, ...(await pgdAttack(model, data.test, { epsilon: eps, steps: o.pgdSteps, stepSize: (2.5 * eps) / o.pgdSteps, randomStart: true, target, seed: 1 })) });
      if (attacks.length) table(['attack', 'ε', 'robust accuracy', 'classified as target'], attacks.map((a) => [a.attack, String(a.epsilon), pct(a.accuracy), pct(a.targetRate)]));
      writeAtomic(o.out, JSON.stringify({ tool: 'sparsegrad eval', model: o.model, data: data.name, adapter: g.adapter, noise: rows, attacks }, null, 2));
      console.log(`wrote ${o.out}`);
    });
}
