import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemoServer } from '../../scripts/demo.mjs';

// Debian's chromium, headless, WebGPU on SwiftShader. Missing chromium fails the run (setup installs it).
const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;
let url = '';
let close: () => void = () => {};

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: run \`bash scripts/setup.sh\` (installs Debian's chromium)`);
  const s = await startDemoServer(0);
  url = s.url;
  close = () => s.server.close();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  close();
});

async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url + path);
  return { page, errors };
}

describe('in the browser (chromium, WebGPU on SwiftShader)', () => {
  it('the core kernel checks agree with the float64 references', async () => {
    const { page, errors } = await open('kernels.html');
    await page.waitForFunction(() => (window as any).sparsegradKernels?.done, null, { timeout: 120_000 });
    const r = await page.evaluate(() => (window as any).sparsegradKernels);
    expect(r.adapter).not.toBe('');
    expect(r.results.length).toBeGreaterThanOrEqual(10);
    for (const x of r.results) expect(x.ok, `${x.name}: ${x.detail}`).toBe(true);
    expect(errors).toEqual([]);
  });

  it('the default page shows the committed run, saying so, until npm start has made one', async () => {
    const { page, errors } = await open('');
    await page.waitForFunction(() => (window as any).sparsegradDemo?.report.done, null, { timeout: 60_000 });
    const r = await page.evaluate(() => (window as any).sparsegradDemo.report);
    expect(r.error).toBe('');
    expect(r.charts).toBeGreaterThan(5);
    const text = (await page.textContent('#report-status')) ?? '';
    if (existsSync('results/study/study.json')) expect(text).toMatch(/charts from results\/study\//);
    else
      expect(text).toMatch(
        /^results\/study\/ holds no run yet \(npm start makes one\); showing the committed run\. \d+ charts from results\/study-embedded\//,
      );
    expect(errors).toEqual([]);
  });

  it('report mode draws every chart of a results folder, with all series', async () => {
    const { page, errors } = await open('?results=fixtures/study/');
    await page.waitForFunction(() => (window as any).sparsegradDemo?.report.done, null, { timeout: 60_000 });
    const r = await page.evaluate(() => (window as any).sparsegradDemo.report);
    expect(r.error).toBe('');
    // Per sweep folder: methods side by side (clean; mean under noise) for each scope, then one
    // chart per method and scope. All matrices: 2 + 3 charts; per layer: 2 × 3 + 2 × 3 charts.
    // Then sparse-vs-dense timings from bench-sparse.json: one chart per matrix (the FC matrix
    // has a numpy dense series, the decoupled conv layer does not).
    expect(r.charts).toBe(2 * 4 + 3 + 6 + 2);
    expect(r.series).toEqual([3, 3, 9, 9, 9, 2, 2, 2, 2, 2, 2, 9, 9, 9, 9, 9, 9, 4, 3]); // methods; clean + 8 noise vectors; kernels
    const canvases = await page.locator('#report-charts canvas').count();
    expect(canvases).toBe(19);
    // A drawn canvas is not blank.
    const inked = await page.evaluate(() => {
      const c = document.querySelector('#report-charts canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(1000);
    expect(await page.locator('#report-images img').count()).toBe(8);
    expect(errors).toEqual([]);
  });

  it("report mode shows a study's findings table (transfer, adaptive, PGD, controls) above its transfer curves", async () => {
    const { page, errors } = await open('?results=results/study-embedded-3seeds/');
    await page.waitForFunction(() => (window as any).sparsegradDemo?.report.done, null, { timeout: 60_000 });
    const r = await page.evaluate(() => (window as any).sparsegradDemo.report);
    expect(r.error).toBe('');
    const cells = await page
      .locator('#findings tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(cells.map((row) => row[0])).toEqual([
      'method',
      'unpruned',
      'abs per-matrix',
      'act per-matrix',
      'combined per-matrix',
      'random per-matrix',
      'pixel-mask layer:1',
    ]);
    expect(cells[0]).toContain('universal:no-penalty %');
    expect(cells[0]).toContain('worst − pixel-mask');
    // sweep-per-matrix: 2 method comparisons + 4 methods; sweep-pixel-mask: 1; sweep-per-layer: 2 × 3 + 2 × 3.
    expect(r.charts).toBe(2 + 4 + 1 + 12);
    // Three seeds: each curve with its 95% band (3 series), clean + 8 vectors; comparisons one series per method.
    expect(r.series.slice(0, 3)).toEqual([4, 4, 27]);
    expect(await page.locator('#report-images img').count()).toBe(8);
    expect(errors, errors.join('\n')).toEqual([]);
  });

  it('report mode names the file and the reason for a malformed results folder', async () => {
    const { page } = await open('?results=fixtures/broken/');
    await page.waitForFunction(() => (window as any).sparsegradDemo?.report.done, null, { timeout: 60_000 });
    const text = await page.locator('#report-status').textContent();
    expect(text).toMatch(/fixtures\/broken\/sweep-per-matrix\/sweep\.json: not valid JSON/);
    const missing = await open('?results=fixtures/nowhere/');
    await missing.page.waitForFunction(() => (window as any).sparsegradDemo?.report.done, null, { timeout: 60_000 });
    expect(await missing.page.locator('#report-status').textContent()).toMatch(/fixtures\/nowhere\/study\.json: 404/);
  });

  it("live mode trains, makes noise and sweeps on the browser's WebGPU, and its curves get points", async () => {
    const { page, errors } = await open('?mode=live&autorun=1&iterations=40&noiseSteps=10');
    await page.waitForFunction(
      () => (window as any).sparsegradDemo?.live.done || (window as any).sparsegradDemo?.live.error,
      null,
      { timeout: 240_000 },
    );
    const live = await page.evaluate(() => (window as any).sparsegradDemo.live);
    expect(live.error).toBe('');
    expect(live.lossPoints).toBe(4); // a loss point every 10 of 40 iterations
    expect(live.sweepPoints).toBe(14); // abs and act × 7 ratios
    expect(await page.locator('#live-charts canvas').count()).toBe(3);
    expect(errors).toEqual([]);
  });

  it('live mode says clearly when the browser has no WebGPU', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      delete (Navigator.prototype as any).gpu;
    });
    await page.goto(`${url}?mode=live&autorun=1&iterations=10`);
    await page.waitForFunction(() => (window as any).sparsegradDemo?.live.error, null, { timeout: 60_000 });
    expect(await page.evaluate(() => (window as any).sparsegradDemo.live.error)).toMatch(
      /this browser has no WebGPU \(navigator.gpu\)/,
    );
    expect(await page.locator('#live-status').textContent()).toMatch(/no WebGPU/);
  });
});
