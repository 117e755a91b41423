// node scripts/screenshot.mjs <page.html|url> <out.png>: a full-page screenshot in Debian's chromium.
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
const [page, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
const errors = [];
tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
tab.on('pageerror', (e) => errors.push(e.message));
await tab.goto(page.startsWith('http') ? page : `file://${resolve(page)}`);
await tab.waitForTimeout(500);
await tab.screenshot({ path: out, fullPage: process.env.FULL_PAGE === '1' });
console.log(
  `${out}: ${await tab.locator('canvas').count()} canvases; console errors: ${errors.length ? errors.join(' | ') : 'none'}`,
);
await browser.close();
