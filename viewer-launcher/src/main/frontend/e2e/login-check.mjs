// Drives the portal pages of a node in node.security.mode=tokens with its dev issuer on, in headless Chromium,
// like people do: a patient signs in with the dev form on "My imaging", downloads a study (DICOM and JPEG),
// switches to French and logs out; a professional signs in on the portal, finds the patient, downloads the
// study and imports it into their PACS, following the progress, then imports it again and cancels that. Prints
// a JSON report; downloads are saved in the output dir.
//   node e2e/login-check.mjs <node base URL> <output dir> <national id> <local patient id> <study UID> <RPPS> <FINESS>
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from './browser.mjs';

const [base, outDir, nationalId, localId, study, rpps, finess] = process.argv.slice(2);
const launch = () => launchBrowser({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
const result = { console: [], requests: [] };

async function signIn(page, role, id, organisation) {
  await page.waitForFunction(() => document.body?.dataset.state === 'login', null, { timeout: 30000 });
  await page.selectOption('#dev-login select[name=role]', role);
  await page.fill('#dev-login input[name=id]', id);
  if (organisation) await page.fill('#dev-login input[name=organisation]', organisation);
  await Promise.all([page.waitForEvent('load'), page.click('#dev-login button[type=submit]')]);
}

async function download(page, selector, name) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(selector)]);
  const path = join(outDir, name);
  await file.saveAs(path);
  return { suggested: file.suggestedFilename(), path, size: statSync(path).size, failure: await file.failure() };
}

function watch(page) {
  page.on('pageerror', (e) => result.console.push(String(e).slice(0, 300)));
  // every address the pages asked for: no token may ever be in one
  page.on('request', (r) => result.requests.push(r.url()));
}

const patient = await launch();
try {
  const { page } = patient;
  watch(page);
  await page.goto(`${base}/me?lang=en`);
  await page.waitForFunction(() => document.body?.dataset.state === 'login', null, { timeout: 30000 });
  result.loginPanel = await page.$eval('#login', (el) => ({ text: el.innerText, devForm: !!el.querySelector('#dev-login'),
    oidc: !!el.querySelector('#oidc-login') }));
  result.contentHiddenBeforeLogin = await page.$eval('#content', (el) => el.hidden);
  await signIn(page, 'patient', nationalId);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body?.dataset.state), null, { timeout: 30000 });
  result.patient = {
    state: await page.evaluate(() => document.body?.dataset.state),
    signedIn: await page.textContent('#signed-in'),
    rows: await page.$$eval('#studies tbody tr', (trs) => trs.map((tr) => tr.dataset.study)),
    address: page.url(),
  };
  const row = `#studies tbody tr[data-study="${study}"]`;
  result.patient.dicom = await download(page, `${row} button.download-dicom`, 'patient-dicom.zip');
  result.patient.jpeg = await download(page, `${row} button.download-jpeg`, 'patient-jpeg.zip');
  await Promise.all([page.waitForEvent('load'), page.click('.lang-switch a[data-lang=fr]')]);
  await page.waitForFunction(() => document.body?.dataset.state === 'ready', null, { timeout: 30000 });
  result.patient.french = { heading: await page.textContent('h1'), logout: await page.textContent('#logout'),
    download: await page.textContent(`${row} button.download-dicom`) };
  await page.click('#logout');
  await page.waitForFunction(() => document.body?.dataset.state === 'login', null, { timeout: 30000 });
  result.patient.afterLogout = { state: await page.evaluate(() => document.body?.dataset.state),
    stored: await page.evaluate(() => sessionStorage.length), heading: await page.textContent('#login h2') };
  await page.screenshot({ path: join(outDir, 'patient.png'), fullPage: true });
} catch (e) {
  result.failure = String(e && e.stack || e);
} finally {
  await patient.close();
}

const professional = await launch();
try {
  const { page } = professional;
  watch(page);
  await page.goto(`${base}/portal?lang=en&PatientID=${encodeURIComponent(localId)}`);
  await signIn(page, 'professional', rpps, finess);
  await page.waitForFunction(() => ['results', 'error'].includes(document.body?.dataset.state), null, { timeout: 30000 });
  const row = `#studies tbody tr[data-study="${study}"]`;
  await page.waitForSelector(`${row} select.import-destination`, { timeout: 15000 });
  result.professional = {
    state: await page.evaluate(() => document.body?.dataset.state),
    signedIn: await page.textContent('#signed-in'),
    destinations: await page.$$eval(`${row} select.import-destination option`, (os) => os.map((o) => o.value)),
    buttons: await page.$$eval(`${row} button`, (bs) => bs.map((b) => b.className)),
  };
  result.professional.dicom = await download(page, `${row} button.download-dicom`, 'professional-dicom.zip');
  await page.click(`${row} button.import-study`);
  await page.waitForFunction((r) => ['completed', 'failed'].includes(
    document.querySelector(`${r} .import-progress`)?.dataset.state), row, { timeout: 60000 });
  result.professional.import = await page.$eval(`${row} .import-progress`, (p) => ({ state: p.dataset.state,
    text: p.textContent }));
  // the same import again, cancelled with its button while under way
  result.professional.cancelHiddenWhenIdle = await page.$eval(`${row} button.import-cancel`, (b) => b.hidden);
  await page.click(`${row} button.import-study`);
  await page.click(`${row} button.import-cancel:not([hidden])`, { timeout: 15000 });
  await page.waitForFunction((r) => ['cancelled', 'completed', 'failed'].includes(
    document.querySelector(`${r} .import-progress`)?.dataset.state), row, { timeout: 60000 });
  result.professional.cancel = await page.$eval(`${row} .import-progress`, (p) => ({ state: p.dataset.state,
    text: p.textContent }));
  result.professional.cancel.buttonHidden = await page.$eval(`${row} button.import-cancel`, (b) => b.hidden);
  await page.screenshot({ path: join(outDir, 'professional.png'), fullPage: true });
} catch (e) {
  result.failure = (result.failure ? `${result.failure}\n` : '') + String(e && e.stack || e);
} finally {
  await professional.close();
}
result.ok = !result.failure;
process.stdout.write(JSON.stringify(result) + '\n');
