import type { Command } from 'commander';
import { writeReport } from '../report/report';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained report.html (uPlot charts of every sweep, noise images) into a results folder')
    .argument('<dir>', 'results folder from `sparsegrad study` (or one holding sweep folders)')
    .action((dir: string) => console.log(`wrote ${writeReport(dir)}`));
}
