import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { certifyCharts } from '../../src/report/certify-charts';
import { writeReport } from '../../src/report/report';
import type { Chart } from '../../src/report/charts';

const certifyJson = (clean: number, rows: [number, string, number][]) => ({
  tool: 'sparsegrad certify',
  model: 'm.safetensors',
  data: 'embedded (first 100 test images)',
  clean,
  rows: rows.map(([epsilon, method, accuracy]) => ({ epsilon, method, accuracy })),
});

const byLabel = (c: Chart, label: string) => c.series.find((s) => s.label === label)?.values;

describe('certify charts (the sandwich against ε)', () => {
  it('x is 0 and each ε; clean at 0; the band runs from the tightest certificate to PGD', () => {
    // ε = 0.02: IBP above CROWN (a file where CROWN's own bound was kept): the band takes IBP's.
    const [chart] = certifyCharts(
      certifyJson(0.99, [
        [0.01, 'ibp', 0.6],
        [0.01, 'crown', 0.9],
        [0.01, 'pgd', 0.95],
        [0.02, 'ibp', 0.4],
        [0.02, 'crown', 0.3],
        [0.02, 'pgd', 0.8],
      ]),
      'f.json',
    );
    expect(chart.ratios).toEqual([0, 0.01, 0.02]);
    expect(byLabel(chart, 'PGD (upper bound)')).toEqual([99, 95, 80]);
    expect(byLabel(chart, 'certified, CROWN (lower bound)')).toEqual([99, 90, 30]);
    expect(byLabel(chart, 'certified, IBP (lower bound)')).toEqual([99, 60, 40]);
    expect(byLabel(chart, 'true robust accuracy: low')).toEqual([99, 90, 40]);
    expect(byLabel(chart, 'true robust accuracy: high')).toEqual([99, 95, 80]);
    expect(chart.series.filter((s) => s.bandOf).map((s) => s.bandOf)).toEqual([
      'PGD (upper bound)',
      'PGD (upper bound)',
    ]);
  });

  it('without PGD (certify --no-pgd) there is no band, and a missing ε of one method is a gap', () => {
    const [chart] = certifyCharts(
      certifyJson(0.9, [
        [0.01, 'ibp', 0.5],
        [0.05, 'ibp', 0.1],
        [0.05, 'crown', 0.2],
      ]),
      'f.json',
    );
    expect(chart.series.map((s) => s.label)).toEqual([
      'certified, CROWN (lower bound)',
      'certified, IBP (lower bound)',
    ]);
    expect(byLabel(chart, 'certified, CROWN (lower bound)')).toEqual([90, null, 20]);
  });

  it('refuses a file that is not certify output, naming it', () => {
    expect(() => certifyCharts({ tool: 'sparsegrad eval', rows: [] }, 'x/eval.json')).toThrow(
      'x/eval.json: not a sparsegrad certify JSON',
    );
  });

  it('the report picks certify.json and gzip-compressed certify-*.json one level down', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-certify-'));
    mkdirSync(join(dir, 'seed1'));
    writeFileSync(join(dir, 'certify.json'), JSON.stringify(certifyJson(0.98, [[0.02, 'crown', 0.85]])));
    writeFileSync(
      join(dir, 'seed1', 'certify-abs-0.9.json.gz'),
      gzipSync(
        JSON.stringify(
          certifyJson(0.97, [
            [0.02, 'ibp', 0.5],
            [0.02, 'pgd', 0.9],
          ]),
        ),
      ),
    );
    writeFileSync(join(dir, 'seed1', 'other.json'), '{}');
    const html = readFileSync(writeReport(dir), 'utf8');
    const charts = JSON.parse(
      /<script type="application\/json" id="charts-data">(.*?)<\/script>/s.exec(html)![1],
    ) as Chart[];
    expect(charts.map((c) => c.ratios)).toEqual([
      [0, 0.02],
      [0, 0.02],
    ]);
    expect(charts.map((c) => c.series[0].values)).toEqual([
      [98, 85],
      [97, 90],
    ]);
  });
});
