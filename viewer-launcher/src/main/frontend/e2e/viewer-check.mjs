// Drives the web viewer in headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) like a person:
// opens a study, scrolls the series with the keyboard, drags the window/level, picks a preset, and
// reports what the image canvas showed at each step (pixel statistics and element screenshots) as JSON
// on stdout. Used by the node's browser test and by the page-load benchmark.
//   node e2e/viewer-check.mjs <viewer URL> <output dir> [--scroll N] [--width W --height H] [--only-first]
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const url = args[0];
const outDir = args[1];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const scrollSteps = opt('scroll', 3);
const onlyFirst = args.includes('--only-first');
const width = opt('width', 1024);
const height = opt('height', 768);
if (!url || !outDir) {
  console.error('usage: viewer-check.mjs <viewer URL> <output dir> [--scroll N] [--width W --height H]');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'viewer-chromium-'));
// a fresh profile for every run
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width, height },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const result = { url: url.replace(/#.*/, '#…'), steps: {}, console: [] };
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.console.push(m.text().slice(0, 300)); });
  page.on('pageerror', (e) => result.console.push(String(e).slice(0, 300)));

  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
  const status = await page.evaluate(() => ({ state: window.nodeViewer.state, error: window.nodeViewer.error,
    message: document.getElementById('message').textContent }));
  result.state = status;
  if (status.state !== 'ready') throw new Error(`viewer state ${status.state}: ${status.message} ${status.error}`);
  await waitDrawn(page);
  result.firstImageMs = Date.now() - t0;
  result.firstImageNavMs = await page.evaluate(() => Math.round(window.nodeViewer.firstImageMs));
  result.steps.first = await snapshot(page, 'first');
  if (!onlyFirst) await interact(page);

  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failure = String(e && e.stack || e);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');

async function interact(page) {
  // scroll with the keyboard (the viewport has focus after a click)
  await page.locator('#viewport').click({ position: { x: 5, y: 5 } });
  const before = result.steps.first.index;
  const s0 = Date.now();
  for (let i = 0; i < scrollSteps; i++) await page.keyboard.press('ArrowDown');
  await page.waitForFunction((n) => window.nodeViewer.imageIndex === n, before + scrollSteps, { timeout: 30000 });
  await waitDrawn(page);
  result.scrollMs = Date.now() - s0;
  result.steps.scrolled = await snapshot(page, 'scrolled');

  // window/level: drag with the (default) window/level tool across the image
  const box = await page.locator('#viewport').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(cx + i * 12, cy + i * 8);
  await page.mouse.up();
  await page.waitForTimeout(200);
  result.steps.windowed = await snapshot(page, 'windowed');

  // a preset from the keyboard (4 = bone, 300/1500)
  await page.keyboard.press('4');
  await page.waitForTimeout(200);
  result.steps.preset = await snapshot(page, 'preset');

  // zoom in twice from the keyboard
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await page.waitForTimeout(200);
  result.steps.zoomed = await snapshot(page, 'zoomed');

  // measure a length: L selects the tool, then a drag across the image
  await page.keyboard.press('l');
  await page.mouse.move(cx - 120, cy);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(cx - 120 + i * 20, cy);
  await page.mouse.up();
  await page.waitForTimeout(300);
  result.steps.measured = await snapshot(page, 'measured');
}

async function waitDrawn(page) {
  await page.waitForFunction(() => {
    const c = document.querySelector('#viewport canvas');
    if (!c || !c.width) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4 * 97) if (d[i] || d[i + 1] || d[i + 2]) return true;
    return false;
  }, null, { timeout: 30000 });
  // let pending renders settle
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function snapshot(page, name) {
  const stats = await page.evaluate(() => {
    const c = document.querySelector('#viewport canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0; let sum = 0; let sumSq = 0; let hash = 0;
    const n = c.width * c.height;
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
      if (v > 0) lit++;
      sum += v; sumSq += v * v;
      hash = (hash * 31 + d[i]) >>> 0;
    }
    const mean = sum / n;
    const v = window.nodeViewer;
    return { canvasWidth: c.width, canvasHeight: c.height, cssWidth: c.clientWidth, cssHeight: c.clientHeight,
      dpr: window.devicePixelRatio, litFraction: lit / n, mean, stddev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)),
      hash, index: v.imageIndex, count: v.imageCount, voi: v.voi, series: v.seriesUid, camera: v.camera(),
      measurements: v.measurements(), tool: v.tool,
      seriesBelowImage: document.getElementById('series').getBoundingClientRect().top
        >= document.getElementById('viewport').getBoundingClientRect().bottom - 1 };
  });
  const file = join(outDir, `${name}.png`);
  await page.locator('#viewport canvas').screenshot({ path: file });
  return { ...stats, screenshot: file };
}
