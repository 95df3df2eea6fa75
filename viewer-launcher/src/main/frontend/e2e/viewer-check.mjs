// Drives the web viewer in headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) like a person:
// opens a study, scrolls the series with the keyboard, drags the window/level, picks a preset, and
// reports what the image canvas showed at each step (pixel statistics and element screenshots) as JSON
// on stdout. Used by the node's browser test and by the page-load benchmark.
//   node e2e/viewer-check.mjs <viewer URL> <output dir> [--scroll N] [--width W --height H] [--only-first]
//        [--extras] (keyboard shortcuts, full screen, language switch) [--touch] (a phone: swipe, pinch)
import { join } from 'node:path';
import { launchBrowser } from './browser.mjs';

const args = process.argv.slice(2);
const url = args[0];
const outDir = args[1];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const scrollSteps = opt('scroll', 3);
const onlyFirst = args.includes('--only-first');
const extras = args.includes('--extras');
const touch = args.includes('--touch');
const width = opt('width', 1024);
const height = opt('height', 768);
if (!url || !outDir) {
  console.error('usage: viewer-check.mjs <viewer URL> <output dir> [--scroll N] [--width W --height H]');
  process.exit(2);
}

const browser = await launchBrowser({ viewport: { width, height },
  ...(touch ? { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } : {}) });
const result = { url: url.replace(/#.*/, '#…'), steps: {}, console: [] };
try {
  const { page } = browser;
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
  if (touch) await touchGestures(page);
  else if (extras) await shortcuts(page);
  else if (!onlyFirst) await interact(page);

  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failure = String(e && e.stack || e);
} finally {
  await browser.close();
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

/** Keyboard shortcuts, full screen and the language switch. */
async function shortcuts(page) {
  await page.locator('#viewport').click({ position: { x: 5, y: 5 } });
  const viewer = () => page.evaluate(() => ({ index: window.nodeViewer.imageIndex, count: window.nodeViewer.imageCount,
    invert: window.nodeViewer.invert, tool: window.nodeViewer.tool }));
  await page.keyboard.press('End');
  await page.waitForFunction(() => window.nodeViewer.imageIndex === window.nodeViewer.imageCount - 1, null,
    { timeout: 15000 });
  result.steps.end = await viewer();
  await page.keyboard.press('Home');
  await page.waitForFunction(() => window.nodeViewer.imageIndex === 0, null, { timeout: 15000 });
  result.steps.home = await viewer();
  await page.keyboard.press('i');
  await page.waitForFunction(() => window.nodeViewer.invert === true, null, { timeout: 5000 });
  await page.keyboard.press('p');
  result.steps.keys = await viewer();
  await page.keyboard.press('?');
  result.steps.helpOpen = await page.evaluate(() => document.getElementById('help').open);
  result.steps.helpText = await page.textContent('#help-text');
  await page.keyboard.press('Escape');
  await page.keyboard.press('f');
  await page.waitForFunction(() => !!document.fullscreenElement, null, { timeout: 5000 });
  result.steps.fullscreen = await page.evaluate(() => ({ element: document.fullscreenElement?.tagName,
    width: innerWidth, height: innerHeight }));
  await page.waitForTimeout(300);
  result.steps.fullscreenDrawn = await snapshot(page, 'fullscreen');
  await page.keyboard.press('f');
  await page.waitForFunction(() => !document.fullscreenElement, null, { timeout: 5000 });
  // the language switch: every text in French, then back to English, without losing the study
  const texts = () => page.evaluate(() => ({ lang: document.documentElement.lang,
    fullscreenTitle: document.getElementById('fullscreen').title, help: document.getElementById('help-text').textContent,
    overlay: document.getElementById('overlay-tl').textContent, address: location.search, state: window.nodeViewer.state }));
  const startLang = await page.evaluate(() => document.documentElement.lang);
  await page.click('#lang');
  result.steps.switched = await texts();
  await page.click('#lang');
  result.steps.switchedBack = await texts();
  result.steps.startLang = startLang;
}

/** A phone: one finger swipes through the series (scroll tool), two fingers pinch to zoom. */
async function touchGestures(page) {
  const cdp = await page.context().newCDPSession(page);
  const box = await page.locator('#viewport').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const touches = async (type, points) => cdp.send('Input.dispatchTouchEvent', { type,
    touchPoints: points.map(([x, y], id) => ({ x, y, id, radiusX: 2, radiusY: 2, force: 1 })) });
  await page.tap('[data-tool="StackScroll"]');
  await page.waitForFunction(() => window.nodeViewer.tool === 'StackScroll', null, { timeout: 5000 });
  const before = await page.evaluate(() => window.nodeViewer.imageIndex);
  await touches('touchStart', [[cx, cy - 100]]);
  for (let i = 1; i <= 20; i++) await touches('touchMove', [[cx, cy - 100 + i * 10]]);
  await touches('touchEnd', []);
  await page.waitForTimeout(400);
  await waitDrawn(page);
  result.steps.swiped = await snapshot(page, 'swiped');
  result.steps.swiped.before = before;
  const scale = await page.evaluate(() => window.nodeViewer.camera().parallelScale);
  await touches('touchStart', [[cx - 20, cy], [cx + 20, cy]]);
  for (let i = 1; i <= 15; i++) await touches('touchMove', [[cx - 20 - i * 8, cy], [cx + 20 + i * 8, cy]]);
  await touches('touchEnd', []);
  await page.waitForTimeout(400);
  result.steps.pinched = await snapshot(page, 'pinched');
  result.steps.pinched.scaleBefore = scale;
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
