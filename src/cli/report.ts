import type { Command } from '@commander-js/extra-typings';
import { join } from 'node:path';
import { DataError } from '../util/errors.js';
import { readResult, resultExists, writeAtomic } from '../io/files.js';
import type { SweepRow } from '../study/sweep.js';
import { robustnessCsv, summariseStudy } from '../study/summary.js';
import { printFindings } from '../study/findings.js';
import { parseNumber } from './options.js';
import { writeReport } from '../report/report.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'write a self-contained report.html (uPlot charts of every sweep, eval, certify, detect and imp JSON; noise images) into a results folder',
    )
    .argument('<dir>', 'results folder from `sparsegrad study` (or one holding sweep folders)')
    .option(
      '--bench <files...>',
      'bench JSON with a sparse section (npm run bench -- sparse), charted as sparse-vs-dense timings; bench*.json files in <dir> are added too',
      [],
    )
    .action((dir, o) => console.log(`wrote ${writeReport(dir, o.bench)}`));
}

/** `sparsegrad findings`: the study's summary from adaptive sweep folders made by hand (sweep --adaptive-ratios). */
export function registerFindings(program: Command): void {
  program
    .command('findings')
    .description(
      'summarise adaptive sweep folders (sweep --adaptive-ratios) as the study does: per method at its pruned ratio, transfer / adaptive / worst / PGD beside the unpruned model and the controls',
    )
    .argument(
      '<dirs...>',
      "sweep folders; each method's ratio above 0 is taken as its chosen ratio, ratio 0 as the unpruned model",
    )
    .requiredOption('--out <dir>', 'folder for robustness.csv and findings.json')
    .option(
      '--clean-floor <x>',
      'the clean validation accuracy the ratios were chosen to keep (recorded and printed)',
      parseNumber(0, 1),
    )
    .option('--clean-drop <x>', 'or the drop from the unpruned model they were chosen within', parseNumber(0, 1))
    .action((dirs, o) => {
      const rows = dirs.flatMap((d) => {
        const file = join(d, 'sweep.json');
        if (!resultExists(file)) throw new DataError(`${file}: missing (not a sweep folder?)`);
        return (JSON.parse(readResult(file)) as { rows: SweepRow[] }).rows;
      });
      const chosen = new Map<string, number>();
      for (const r of rows) {
        if (r.ratio === 0) continue;
        const k = `${r.seed}|${r.method}|${r.scope}`;
        if (chosen.has(k) && chosen.get(k) !== r.ratio)
          throw new DataError(
            `findings: ${r.method} ${r.scope} (seed ${r.seed}) has two pruned ratios, ${chosen.get(k)} and ${r.ratio}; give one per method`,
          );
        chosen.set(k, r.ratio);
      }
      const summary = summariseStudy(
        rows,
        chosen,
        o.cleanFloor !== undefined ? { atLeast: o.cleanFloor } : { drop: o.cleanDrop ?? 0.005 },
      );
      writeAtomic(join(o.out, 'robustness.csv'), robustnessCsv(summary));
      writeAtomic(
        join(o.out, 'findings.json'),
        JSON.stringify({ tool: 'sparsegrad findings', folders: dirs, summary }, null, 2),
      );
      printFindings(summary, console.log);
    });
}
