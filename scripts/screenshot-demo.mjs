// node scripts/screenshot-demo.mjs [results-path] [--report-only]: screenshots of both demo modes into docs/.
import { chromium } from 'playwright-core';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer } from './demo.mjs';
import { execFileSync } from 'node:child_process';

const results = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'results/study/';
const reportOnly = process.argv.includes('--report-only');
const { server, url } = await startDemoServer(0);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update'],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
// The page as a fresh clone opens it: the committed run, until npm start has made one.
await page.goto(url);
await page.waitForFunction(() => window.sparsegradDemo?.report.done, null, { timeout: 60000 });
await page.screenshot({ path: 'docs/demo-default-page.png' });
// The self-contained report of the committed run: its first chart.
const copy = join(mkdtempSync(join(tmpdir(), 'report-shot-')), 'run');
cpSync('results/study-embedded', copy, { recursive: true });
execFileSync(process.execPath, ['bin/sparsegrad.js', 'report', copy], { stdio: 'ignore' });
await page.goto(`file://${join(copy, 'report.html')}`);
await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length > 0, null, { timeout: 60000 });
await page.locator('.chart').first().screenshot({ path: 'docs/report-first-chart.png' });
await page.goto(`${url}?results=${results}`);
await page.waitForFunction(() => window.sparsegradDemo?.report.done, null, { timeout: 60000 });
await page.screenshot({ path: 'docs/demo-report.png' });
// The sparse-vs-dense timing charts, where the folder has bench-sparse.json.
const timing = page.locator('.chart', { hasText: 'time per product' });
if (await timing.count()) await timing.first().screenshot({ path: 'docs/demo-sparse-timings.png' });
if (reportOnly) {
  await browser.close();
  server.close();
  process.exit(0);
}
await page.goto(`${url}?mode=live&autorun=1&iterations=200&noiseSteps=60`);
await page.waitForFunction(() => window.sparsegradDemo?.live.done || window.sparsegradDemo?.live.error, null, {
  timeout: 600000,
});
await page.screenshot({ path: 'docs/demo-live.png', fullPage: true });
console.log(await page.evaluate(() => JSON.stringify(window.sparsegradDemo)));
await browser.close();
server.close();
