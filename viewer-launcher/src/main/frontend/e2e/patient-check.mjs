// Drives the patient pages in headless Chromium like a patient: lists my studies, hides the first, makes a
// share link for the second and opens it in a fresh browser (no patient token there), blocks a professional.
// Prints a JSON report.   node e2e/patient-check.mjs <me.html URL with #token=...> <output dir> <professional id>
import { join } from 'node:path';
import { launchBrowser, viewerDrawn } from './browser.mjs';

const [url, outDir, professional] = process.argv.slice(2);
const launch = () => launchBrowser({ viewport: { width: 1024, height: 900 } });
const rows = (page) => page.$$eval('#studies tbody tr', (trs) => trs.map((tr) => ({ study: tr.dataset.study,
  hidden: tr.dataset.hidden, text: tr.innerText.replace(/\s+/g, ' ').trim() })));
const result = { console: [] };
const patient = await launch();
try {
  const { page } = patient;
  page.on('pageerror', (e) => result.console.push(String(e).slice(0, 300)));
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 30000 });
  result.state = await page.evaluate(() => document.body.dataset.state);
  result.status = await page.textContent('#status');
  result.heading = await page.textContent('h1');
  result.before = await rows(page);
  // thumbnails are plain <img> elements on signed URLs: each must load without any header
  await page.waitForFunction(() => [...document.querySelectorAll('#studies tbody img')]
    .every((img) => img.complete && img.naturalWidth > 0), null, { timeout: 15000 }).catch(() => {});
  result.thumbnails = await page.$$eval('#studies tbody img', (imgs) => imgs.map((img) => img.naturalWidth));
  result.history = await page.$$eval('#history tbody tr', (trs) => trs.length);

  await page.click('#studies tbody tr:nth-child(1) button.hide');
  await page.waitForFunction(() => document.querySelector('#studies tbody tr:nth-child(1)')?.dataset.hidden === 'true'
    || [...document.querySelectorAll('#studies tbody tr')].some((tr) => tr.dataset.hidden === 'true'), null, { timeout: 15000 });
  result.afterHide = await rows(page);

  const second = result.before[1].study;
  await page.click(`#studies tbody tr[data-study="${second}"] button.share`);
  await page.waitForSelector(`#studies tbody tr[data-study="${second}"] input.share-url`, { timeout: 15000 });
  result.shareUrl = await page.$eval(`#studies tbody tr[data-study="${second}"] input.share-url`, (i) => i.value);

  await page.fill('#block input[name=professional]', professional);
  await page.click('#block button[type=submit]');
  await page.waitForSelector(`#blocked li[data-professional="${professional}"]`, { timeout: 15000 });
  result.blocked = await page.$$eval('#blocked li', (lis) => lis.map((li) => li.dataset.professional));
  await page.screenshot({ path: join(outDir, 'me.png'), fullPage: true });
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failure = String(e && e.stack || e);
} finally {
  await patient.close();
}
if (result.ok) {
  // someone else opens the share link: another browser, no patient token
  const friend = await launch();
  try {
    const tab = friend.page;
    await tab.goto(result.shareUrl);
    await viewerDrawn(tab);
    result.shared = await tab.evaluate(() => ({ state: window.nodeViewer.state, count: window.nodeViewer.imageCount,
      study: new URLSearchParams(location.search).get('study') }));
  } catch (e) {
    result.ok = false;
    result.failure = String(e && e.stack || e);
  } finally {
    await friend.close();
  }
}
process.stdout.write(JSON.stringify(result) + '\n');
