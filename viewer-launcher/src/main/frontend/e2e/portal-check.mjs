// Drives the portal in headless Chromium: searches a patient, clicks "open in Weasis" (the weasis:// URI it
// receives is reported; no Weasis is installed here) and "web viewer" (the viewer tab must draw the study).
// Prints a JSON report on stdout.   node e2e/portal-check.mjs <portal URL with ?PatientID=...> <output dir>
import { join } from 'node:path';
import { launchBrowser, viewerDrawn } from './browser.mjs';

const [url, outDir] = process.argv.slice(2);
const browser = await launchBrowser();
const result = { console: [] };
let page;
try {
  ({ page } = browser);
  page.on('pageerror', (e) => result.console.push(String(e).slice(0, 300)));
  page.on('console', (m) => { if (m.type() === 'error') result.console.push(m.text().slice(0, 300)); });
  page.on('response', (r) => { if (r.status() >= 400) result.console.push(`${r.status()} ${r.url().replace(/#.*/, '')}`); });
  await page.goto(url);
  await page.waitForFunction(() => ['results', 'error'].includes(document.body.dataset.state), null, { timeout: 30000 });
  result.state = await page.evaluate(() => document.body.dataset.state);
  result.rows = await page.$$eval('#studies tbody tr', (trs) => trs.map((tr) => ({
    study: tr.dataset.study, text: tr.innerText.replace(/\s+/g, ' ').trim() })));
  result.buttons = await page.$$eval('#studies tbody tr:first-child button', (bs) => bs.map((b) => b.textContent));
  result.heading = await page.textContent('h1');
  await page.screenshot({ path: join(outDir, 'portal.png') });

  // web viewer: the study opens in this tab
  await page.click('#studies tbody tr:first-child button.open-web');
  await page.waitForURL(/\/viewer\/\?study=/, { timeout: 60000, waitUntil: 'commit' });
  const tab = page;
  await viewerDrawn(tab);
  result.viewer = await tab.evaluate(() => {
    const c = document.querySelector('#viewport canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] || d[i + 1] || d[i + 2]) lit++;
    return { state: window.nodeViewer.state, study: new URLSearchParams(location.search).get('study'),
      addressHasToken: location.href.includes('token='), litFraction: lit / (c.width * c.height),
      count: window.nodeViewer.imageCount };
  });

  // Weasis: back on the portal, the button hands a weasis:// URI to the browser (no Weasis installed here)
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'results', null, { timeout: 30000 });
  await page.click('#studies tbody tr:first-child button.open-weasis');
  await page.waitForFunction(() => document.querySelector('button.open-weasis')?.dataset.weasisUri, null,
    { timeout: 15000 });
  result.weasisUri = await page.$eval('button.open-weasis', (b) => b.dataset.weasisUri);
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failure = String(e && e.stack || e);
  result.pageUrl = page?.url().replace(/#.*/, '#…');
  result.statusText = await page?.textContent('#status').catch(() => null);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
