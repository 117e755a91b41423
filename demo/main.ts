import uPlot from 'uplot';
import { adapterName } from '../src/gpu/device';
import { initGpu } from '../src/gpu/init';
import { embeddedSplit } from '../src/data/embedded';
import { take } from '../src/data/dataset';
import { DEFAULT_CONFIG } from '../src/nn/config';
import { trainModel } from '../src/nn/train';
import { makeNoise, DEFAULT_NOISE } from '../src/adversarial/noise';
import { robustness } from '../src/adversarial/evaluate';
import { layerInputStats, calibrationIndices } from '../src/prune/stats';
import { Pruner, type PruneMethod } from '../src/prune/prune';
import { chartsFromRows, methodComparisonCharts, sparseTimingCharts, type Chart } from '../src/report/charts';
import { isTransferCurve } from '../src/study/sweep';
import { findingsTable } from '../src/study/findings';
import type { StudySummary } from '../src/study/summary';
import { plotSpec } from '../src/report/plot-spec';
import type { SweepRow } from '../src/study/sweep';

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);

/** What the browser tests read. */
const state = {
  report: { charts: 0, series: [] as number[], error: '', done: false },
  live: { done: false, error: '', lossPoints: 0, sweepPoints: 0, adapter: '' },
};
(window as unknown as { sparsegradDemo: typeof state }).sparsegradDemo = state;

function status(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', error);
}

function drawChart(
  parent: HTMLElement,
  c: Chart,
  yLabel?: string,
  xLabel?: string,
  yRange?: [number, number] | null,
): uPlot {
  const el = document.createElement('div');
  el.className = 'chart';
  parent.appendChild(el);
  const { opts, data } = plotSpec(
    yLabel || xLabel || yRange !== undefined
      ? { ...c, axes: { x: xLabel ?? 'pruning ratio', y: yLabel ?? '', logY: false, yRange } }
      : c,
    1000,
  );
  return new uPlot(opts as unknown as uPlot.Options, data as uPlot.AlignedData, el);
}

// ---- report mode -----------------------------------------------------------------------------
async function fetchJson(url: string): Promise<unknown> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  const text = await r.text();
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${url}: not valid JSON (${(e as Error).message})`);
  }
}

/** The study's findings table (transfer, adaptive and PGD beside the controls). */
function findingsElement(summary: StudySummary): HTMLElement {
  const { header, rows } = findingsTable(summary);
  const el = document.createElement('div');
  el.id = 'findings';
  const table = document.createElement('table');
  table.border = '1';
  for (const [k, r] of [header, ...rows].entries()) {
    const tr = table.insertRow();
    for (const c of r) {
      const td = document.createElement(k ? 'td' : 'th');
      td.textContent = c;
      tr.appendChild(td);
    }
  }
  const h = document.createElement('h2');
  h.textContent = 'Findings (mean over the noise vectors; [95% interval over seeds])';
  el.append(h, table);
  return el;
}

/** Where `npm start` writes, and the run committed with the repository, shown until there is one of your own. */
const OWN_RUN = 'results/study/';
const COMMITTED_RUN = 'results/study-embedded/';

async function loadReport(): Promise<void> {
  const input = $('results-url') as HTMLInputElement;
  let note = '';
  if (input.value.replace(/\/?$/, '/') === OWN_RUN && !params.get('results')) {
    // The demo server says whether npm start has made a run (asking for the file itself would
    // log a 404 in the console where it has not).
    const runs = await fetch('runs.json').then((r) => (r.ok ? r.json() : { own: true }));
    if (!runs.own) {
      input.value = COMMITTED_RUN;
      note = `${OWN_RUN} holds no run yet (npm start makes one); showing the committed run. `;
    }
  }
  const base = input.value.replace(/\/?$/, '/');
  const charts = $('report-charts');
  charts.innerHTML = '';
  $('report-images').innerHTML = '';
  state.report = { charts: 0, series: [], error: '', done: false };
  try {
    const study = (await fetchJson(`${base}study.json`)) as {
      noises?: string[];
      sweeps?: string[];
      benches?: string[];
      noiseDir?: string;
      summary?: StudySummary;
      adapter?: { description?: string };
    };
    if (!Array.isArray(study.noises)) throw new Error(`${base}study.json: no "noises" list`);
    if (study.summary && Array.isArray(study.summary.methods)) charts.appendChild(findingsElement(study.summary));
    for (const sweep of study.sweeps ?? ['sweep-per-matrix', 'sweep-per-layer']) {
      const file = `${base}${sweep}/sweep.json`;
      const data = (await fetchJson(file)) as { rows?: SweepRow[] };
      if (!Array.isArray(data.rows)) throw new Error(`${file}: no "rows" array`);
      const curves = data.rows.filter(isTransferCurve);
      for (const c of [...methodComparisonCharts(sweep, curves), ...chartsFromRows(sweep, curves)]) {
        drawChart(charts, c);
        state.report.charts++;
        state.report.series.push(c.series.length);
      }
    }
    // Sparse-vs-dense timings: the bench JSON files study.json lists (older folders: probe
    // bench-sparse.json, a 404 skips it).
    for (const benchUrl of study.benches ? study.benches.map((f) => base + f) : [`${base}bench-sparse.json`]) {
      if (!study.benches && !(await fetch(benchUrl, { method: 'HEAD' })).ok) continue;
      for (const c of sparseTimingCharts(await fetchJson(benchUrl), benchUrl)) {
        drawChart(charts, c);
        state.report.charts++;
        state.report.series.push(c.series.length);
      }
    }
    // Names from the results folder are data: built as elements with text, never as markup.
    const images = $('report-images');
    images.replaceChildren();
    const heading = document.createElement('h2');
    heading.textContent = 'Noise vectors';
    images.append(heading);
    for (const n of study.noises) {
      const [t, l] = n.split('/');
      const box = document.createElement('div');
      const name = document.createElement('b');
      name.textContent = n;
      const img = document.createElement('img');
      img.src = `${base}${study.noiseDir ?? 'noise'}/noise-t${encodeURIComponent(t)}-l${encodeURIComponent(l ?? '')}.png`;
      box.append(name, document.createElement('br'), img);
      images.append(box);
    }
    status(
      'report-status',
      `${note}${state.report.charts} charts from ${base} (adapter of the run: ${study.adapter?.description ?? '?'})`,
    );
  } catch (e) {
    state.report.error = (e as Error).message;
    status('report-status', `Cannot show ${base}: ${(e as Error).message}`, true);
  }
  state.report.done = true;
}

// ---- live mode -------------------------------------------------------------------------------
async function runLive(): Promise<void> {
  const iterations = Number(params.get('iterations') ?? 300);
  const noiseSteps = Number(params.get('noiseSteps') ?? 100);
  const charts = $('live-charts');
  charts.innerHTML = '';
  try {
    if (!('gpu' in navigator))
      throw new Error(
        'this browser has no WebGPU (navigator.gpu). Use Chrome/Edge 113+ or chromium --enable-unsafe-webgpu, on http://localhost or https.',
      );
    const g = await initGpu();
    state.live.adapter = adapterName(g.gpu.adapter);
    status('live-status', `adapter: ${state.live.adapter}\nloading digits…`);
    const digits = await Promise.all(
      Array.from({ length: 10 }, async (_, c) => ((await fetchJson(`digits/${c}.json`)) as { data: number[] }).data),
    );
    const all = embeddedSplit(digits);
    const data = { train: all.train, test: take(all.test, 500), name: 'embedded' };
    const lossChart = drawChart(
      charts,
      { title: 'training loss (linear-quadratic)', ratios: [], series: [{ label: 'loss', values: [] }] },
      'loss',
      'iteration',
      null,
    );
    const its: number[] = [],
      losses: number[] = [];
    const config = { ...DEFAULT_CONFIG, hidden: [128, 64], iterations, batch: 100, evalEvery: 0 };
    const { model, metrics } = await trainModel(config, data, {
      logEvery: 10,
      onProgress: (p) => {
        if (p.loss === null) return;
        its.push(p.iteration);
        losses.push(p.loss);
        lossChart.setData([its, losses]);
        state.live.lossPoints = its.length;
        status(
          'live-status',
          `adapter: ${state.live.adapter}\ntraining ${p.iteration}/${iterations}, loss ${p.loss.toFixed(4)}`,
        );
      },
    });
    status(
      'live-status',
      `adapter: ${state.live.adapter}\ntest accuracy ${(100 * metrics.testAccuracy).toFixed(1)}%; making noise 3/0.25…`,
    );
    const s = { ...DEFAULT_NOISE, target: 3, limit: 0.25, steps: noiseSteps };
    const noise = await makeNoise(model, data.train, s);
    const stats = await layerInputStats(model, data.test, calibrationIndices(data.test, 500, 1));
    const weights = await Promise.all(model.weights.map((w) => w.read()));
    const ratios = [0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9];
    const rows: SweepRow[] = [];
    const sweepCharts = new Map<PruneMethod, uPlot>();
    for (const method of ['abs', 'act'] as PruneMethod[]) {
      const pruner = new Pruner(model, weights, stats, {
        method,
        scope: { kind: 'per-matrix' },
        combinedOffset: 0.07,
        seed: 1,
      });
      for (const ratio of ratios) {
        const pruned = pruner.prunedModel(ratio);
        const res = await robustness(pruned, data.test, [{ target: 3, limit: 0.25, noise, name: '3/0.25' }]);
        pruned.weights.forEach((w) => w.dispose());
        for (const r of res)
          rows.push({
            model: 'live',
            seed: 1,
            method,
            scope: 'per-matrix',
            ratio,
            sparsity: [],
            kernels: [],
            noise: r.noise,
            target: r.target,
            limit: r.limit,
            accuracy: r.accuracy,
            foolingRate: r.foolingRate,
          });
        const chart = chartsFromRows(
          'live sweep',
          rows.filter((r) => r.method === method),
        )[0];
        if (!sweepCharts.has(method)) sweepCharts.set(method, drawChart(charts, chart));
        sweepCharts.get(method)!.setData([chart.ratios, ...chart.series.map((x) => x.values)] as uPlot.AlignedData);
        state.live.sweepPoints++;
        status(
          'live-status',
          `adapter: ${state.live.adapter}\nsweep ${method} ratio ${ratio}: clean ${(100 * res[0].accuracy).toFixed(1)}%, noisy ${(100 * res[1].accuracy).toFixed(1)}%`,
        );
      }
      pruner.dispose();
    }
    state.live.done = true;
    status(
      'live-status',
      `adapter: ${state.live.adapter}\ndone: ${iterations} training iterations, ${state.live.sweepPoints} sweep points`,
    );
  } catch (e) {
    state.live.error = (e as Error).message;
    status('live-status', `Live run failed: ${(e as Error).message}`, true);
  }
}

function show(tab: 'report' | 'live'): void {
  $('report').hidden = tab !== 'report';
  $('live').hidden = tab !== 'live';
  $('tab-report').classList.toggle('active', tab === 'report');
  $('tab-live').classList.toggle('active', tab === 'live');
}
$('tab-report').onclick = () => show('report');
$('tab-live').onclick = () => show('live');
$('load').onclick = () => void loadReport();
$('run').onclick = () => void runLive();
if (params.get('results')) ($('results-url') as HTMLInputElement).value = params.get('results')!;
show(params.get('mode') === 'live' ? 'live' : 'report');
if (params.get('mode') === 'live' && params.get('autorun')) void runLive();
else void loadReport();
