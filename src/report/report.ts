import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeAtomic } from '../io/files';
import { DataError } from '../gpu/errors';
import type { SweepRow } from '../prune/sweep';
import { chartsFromRows, methodComparisonCharts, sparseTimingCharts } from './charts';
import { plotSpec } from './plot-spec';

/** A self-contained report.html (uPlot inlined, data embedded: opens from disk, no server). */
export function writeReport(dir: string, benchFiles: string[] = []): string {
  // All-matrix sweeps first, then per layer.
  const sweeps = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'sweep.json'))).sort((a, b) => Number(b.includes('per-matrix')) - Number(a.includes('per-matrix')) || a.localeCompare(b));
  if (!sweeps.length) throw new DataError(`${dir}: no sweep folders (sweep-*/sweep.json) to report`);
  const charts = sweeps.flatMap((d) => {
    const file = join(dir, d, 'sweep.json');
    let rows: SweepRow[];
    try { rows = JSON.parse(readFileSync(file, 'utf8')).rows; } catch (e) { throw new DataError(`${file}: not valid JSON (${(e as Error).message})`); }
    if (!Array.isArray(rows)) throw new DataError(`${file}: has no "rows" array`);
    return [...methodComparisonCharts(d, rows), ...chartsFromRows(d, rows)];
  });
  // Sparse-vs-dense timings: bench JSON files named on the command line or lying in the folder.
  const benches = [...benchFiles, ...readdirSync(dir).filter((f) => /^bench.*\.json$/.test(f)).map((f) => join(dir, f))];
  for (const file of benches) {
    let bench: unknown;
    try { bench = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new DataError(`${file}: not valid JSON (${(e as Error).message})`); }
    try { charts.push(...sparseTimingCharts(bench, file)); } catch (e) { throw new DataError((e as Error).message); }
  }
  const noiseDir = join(dir, 'noise');
  const images = existsSync(noiseDir) ? readdirSync(noiseDir).filter((f) => f.endsWith('.png')).map((f) => ({ name: f, data: readFileSync(join(noiseDir, f)).toString('base64') })) : [];
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>sparsegrad study report</title>
<style>${uplotCss} body{font-family:system-ui,sans-serif;margin:20px;max-width:1100px} .chart{margin:18px 0} img{image-rendering:pixelated;margin:4px 0}</style>
<script>${uplotJs}</script></head><body>
<h1>sparsegrad: pruning and adversarial robustness</h1>
<p>Test accuracy (%) against the share of weights pruned, on clean test images and under each universal noise vector (target/limit); then, where a benchmark file is given, time per sparse and dense product. Folder: ${escapeHtml(dir)}</p>
<div id="charts"></div>
<h2>Noise vectors</h2>${images.map((i) => `<div><b>${escapeHtml(i.name)}</b><br><img src="data:image/png;base64,${i.data}"></div>`).join('')}
<script>
const charts = ${JSON.stringify(charts)};
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

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
