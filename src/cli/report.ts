import type { Command } from 'commander';
import { writeReport } from '../report/report';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained report.html (uPlot charts of every sweep, noise images) into a results folder')
    .argument('<dir>', 'results folder from `sparsegrad study` (or one holding sweep folders)')
    .option('--bench <files...>', 'bench JSON with a sparse section (npm run bench -- sparse), charted as sparse-vs-dense timings; bench*.json files in <dir> are added too', [])
    .action((dir: string, o: { bench: string[] }) => console.log(`wrote ${writeReport(dir, o.bench)}`));
}
