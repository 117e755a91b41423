import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readResult } from '../../src/io/files';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { writeReport, jsonForScript } from '../../src/report/report';

// Every string of a results folder that a user (or a file name) controls is data in the
// report, never markup: script payloads there render as text and never run.
const PAYLOAD = '<img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script>\u2028';
let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--no-first-run'] });
});
afterAll(() => browser?.close());

describe('report.html', () => {
  it('jsonForScript round-trips through JSON.parse and leaves no < > & or line separators', () => {
    const text = jsonForScript({ s: PAYLOAD });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text).s).toBe(PAYLOAD);
  });

  it('a noise name, a method name, a model path and an image name carrying script render as text in Chromium', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'report-')), 'results');
    cpSync('test/fixtures/study', dir, { recursive: true });
    for (const sweep of ['sweep-per-matrix', 'sweep-per-layer']) {
      const file = join(dir, sweep, 'sweep.json');
      const json = JSON.parse(readResult(file)); // the fixture keeps it gzip-compressed beside
      const old = json.noises[0];
      json.noises[0] = `${old}${PAYLOAD}`;
      for (const r of json.rows) {
        if (r.noise === old) r.noise = json.noises[0];
        if (r.method === 'abs') r.method = `abs${PAYLOAD}`;
        r.model = `${r.model}${PAYLOAD}`;
      }
      writeFileSync(file, JSON.stringify(json));
      rmSync(`${file}.gz`);
    }
    const png = readdirSync(join(dir, 'noise')).find((f) => f.endsWith('.png'))!;
    renameSync(join(dir, 'noise', png), join(dir, 'noise', `x${PAYLOAD.replace(/\//g, '_')}.png`));
    // A certify JSON (the sandwich chart, with its shaded band) whose model path carries script.
    writeFileSync(
      join(dir, 'certify.json'),
      JSON.stringify({
        tool: 'sparsegrad certify',
        model: `m${PAYLOAD}.safetensors`,
        clean: 0.98,
        rows: [
          { epsilon: 0.02, method: 'ibp', accuracy: 0.4 },
          { epsilon: 0.02, method: 'crown', accuracy: 0.8 },
          { epsilon: 0.02, method: 'pgd', accuracy: 0.9 },
        ],
      }),
    );
    const report = writeReport(dir);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${report}`);
    await page.waitForFunction(() => document.querySelectorAll('.chart').length > 0, null, { timeout: 30_000 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain('window.pwned=1'); // shown as text
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(text).toContain('certified ≤ true ≤ PGD against ε (m<img'); // the sandwich chart drew
    expect(await page.locator('.chart').count()).toBe(
      JSON.parse(readFileSync(report, 'utf8').match(/id="charts-data">(.*?)<\/script>/s)![1]).length,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
