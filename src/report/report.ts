import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readResult, resultExists, writeAtomic } from '../io/files.js';
import { DataError } from '../util/errors.js';
import { isTransferCurve, type SweepRow } from '../study/sweep.js';
import { findingsTable } from '../study/findings.js';
import type { StudySummary } from '../study/summary.js';
import { chartsFromRows, epsilonCharts, methodComparisonCharts, sparseTimingCharts } from './charts.js';
import { certifyCharts } from './certify-charts.js';
import { plotSpec } from './plot-spec.js';
import { detectCharts, impCharts, pruningRobustnessCharts } from './detect-charts.js';

/** A self-contained report.html (uPlot inlined, data embedded: opens from disk, no server). */
export function writeReport(dir: string, benchFiles: string[] = []): string {
  // All-matrix sweeps first, then per layer.
  const sweeps = readdirSync(dir)
    .filter((d) => resultExists(join(dir, d, 'sweep.json')))
    .sort((a, b) => Number(b.includes('per-matrix')) - Number(a.includes('per-matrix')) || a.localeCompare(b));
  // Robust accuracy against ε: eval JSON files (attacks/*.json) in the folder.
  const attackDir = join(dir, 'attacks');
  const evals = existsSync(attackDir)
    ? readdirSync(attackDir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(attackDir, f))
    : [];
  // Detection (detect.json) and iterative pruning (imp.json): in the folder or one level down.
  const inOrBelow = (name: string) =>
    [join(dir, name), ...readdirSync(dir).map((d) => join(dir, d, name))].filter((f) => resultExists(f));
  const detects = inOrBelow('detect.json'),
    imps = inOrBelow('imp.json'),
    compares = inOrBelow('robustness.json').filter((f) => readResult(f).includes('sparsegrad pruning-robustness'));
  // Certified bounds: certify.json or certify-*.json (from sparsegrad certify), here or one level down.
  const certifies = [dir, ...readdirSync(dir).map((d) => join(dir, d))]
    .filter((d) => statSync(d).isDirectory())
    .flatMap((d) =>
      readdirSync(d)
        .filter((f) => /^certify(-.*)?\.json(\.gz)?$/.test(f))
        .map((f) => join(d, f.replace(/\.gz$/, ''))),
    )
    .filter((f, i, all) => all.indexOf(f) === i)
    .sort();
  if (!sweeps.length && !evals.length && !detects.length && !imps.length && !compares.length && !certifies.length)
    throw new DataError(
      `${dir}: no sweep folders (sweep-*/sweep.json), attacks/*.json, detect.json, imp.json or certify*.json to report`,
    );
  const charts = sweeps.flatMap((d) => {
    const file = join(dir, d, 'sweep.json');
    let rows: SweepRow[];
    try {
      rows = JSON.parse(readResult(file)).rows;
    } catch (e) {
      throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(rows)) throw new DataError(`${file}: has no "rows" array`);
    const curves = rows.filter(isTransferCurve);
    return [...methodComparisonCharts(d, curves), ...chartsFromRows(d, curves)];
  });
  for (const file of evals) {
    let e: unknown;
    try {
      e = JSON.parse(readResult(file));
    } catch (err) {
      throw new DataError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    try {
      charts.unshift(...epsilonCharts(e, file));
    } catch (err) {
      throw new DataError((err as Error).message);
    }
  }
  for (const [files, make] of [
    [detects, detectCharts],
    [imps, impCharts],
    [compares, pruningRobustnessCharts],
    [certifies, certifyCharts],
  ] as const)
    for (const file of files) {
      let j: unknown;
      try {
        j = JSON.parse(readResult(file));
      } catch (err) {
        throw new DataError(`${file}: not valid JSON (${(err as Error).message})`);
      }
      try {
        charts.push(...make(j, file));
      } catch (err) {
        throw new DataError((err as Error).message);
      }
    }
  // Sparse-vs-dense timings: bench JSON files named on the command line or lying in the folder.
  const benches = [
    ...benchFiles,
    ...readdirSync(dir)
      .filter((f) => /^bench.*\.json$/.test(f))
      .map((f) => join(dir, f)),
  ];
  for (const file of benches) {
    let bench: unknown;
    try {
      bench = JSON.parse(readResult(file));
    } catch (e) {
      throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    try {
      charts.push(...sparseTimingCharts(bench, file));
    } catch (e) {
      throw new DataError((e as Error).message);
    }
  }
  // Noise images: noise/*.png, or one folder per seed (noise/seed1/*.png).
  const noiseDir = join(dir, 'noise');
  const pngsIn = (d: string, prefix: string) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.png'))
      .map((f) => ({ name: prefix + f, data: readFileSync(join(d, f)).toString('base64') }));
  const images = !existsSync(noiseDir)
    ? []
    : [
        ...pngsIn(noiseDir, ''),
        ...readdirSync(noiseDir)
          .filter((f) => /^seed\d+$/.test(f))
          .flatMap((f) => pngsIn(join(noiseDir, f), `${f}/`)),
      ];
  const findings = findingsHtml(join(dir, 'study.json'));
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>sparsegrad study report</title>
<style>${uplotCss} body{font-family:system-ui,sans-serif;margin:20px;max-width:1100px} .chart{margin:18px 0} img{image-rendering:pixelated;margin:4px 0}</style>
<script>${uplotJs}</script></head><body>
<h1>sparsegrad: pruning and adversarial robustness</h1>
<p>What this folder holds, charted: test accuracy (%) against the share of weights pruned, clean and under each universal noise vector (target/limit); robust accuracy against ε; certified ≤ true ≤ PGD against ε (the true robust accuracy lies in the shaded band; a universal noise of limit ε is one point of each ball, so the certified share bounds robustness to it from below); detection ROC curves and ROC-AUC against pruning ratio; iterative-pruning curves; and, where a benchmark file is given, time per sparse and dense product. A noise vector is named by its target class and limit: <b>3/0.25</b> pushes every image towards class 3, changing no pixel by more than 0.25 (an L∞ limit, pixels in [0, 1]). Accuracies are in %; gains and differences are percentage points. Folder: ${escapeHtml(dir)}</p>
${findings}<div id="charts"></div>
<h2>Noise vectors</h2>${images.map((i) => `<div><b>${escapeHtml(i.name)}</b><br><img src="data:image/png;base64,${i.data}"></div>`).join('')}
<script type="application/json" id="charts-data">${jsonForScript(charts)}</script>
<script>
const charts = JSON.parse(document.getElementById('charts-data').textContent);
const plotSpec = ${plotSpec.toString()};
for (const c of charts) {
  const el = document.createElement('div'); el.className = 'chart'; document.getElementById('charts').appendChild(el);
  const { opts, data } = plotSpec(c, 1000);
  new uPlot(opts, data, el);
}
</script></body></html>`;
  const out = join(dir, 'report.html');
  writeAtomic(out, html);
  return out;
}

/** The study's findings table (study.json from `sparsegrad study`), or nothing. */
function findingsHtml(file: string): string {
  if (!resultExists(file)) return '';
  let summary: StudySummary | undefined;
  try {
    summary = JSON.parse(readResult(file)).summary;
  } catch (e) {
    throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!summary || !Array.isArray(summary.methods)) return ''; // an older study.json
  const { header, rows } = findingsTable(summary);
  const failures = summary.failures?.length
    ? `<p><b>Attack failures flagged: ${summary.failures.length}</b> (an adaptive attack weaker than transfer, or a collapsed noise; see robustness.csv).</p>`
    : '<p>No attack failure flagged.</p>';
  return `<h2>Findings</h2><p>Each method at the highest ratio that keeps clean validation accuracy (chosen per seed); test accuracy (%) under each attack, mean over the noise vectors; worst = per image, broken by transfer or any adaptive noise; [95% interval over seeds]; gains paired by seed. Curves below: transferred noise only.</p>
<table border="1" cellpadding="4" style="border-collapse:collapse;font-size:13px"><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</table>${failures}`;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * JSON to embed in a page: inside a script element `</script>`, `<!--` and U+2028/9 would end
 * or bend it, so <, >, & and the two separators are written as \u escapes (the same value to
 * JSON.parse). Names from a results folder are data, never markup.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
