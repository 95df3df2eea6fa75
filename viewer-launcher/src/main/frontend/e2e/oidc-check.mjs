// Drives the portal's OpenID Connect sign-in in headless Chromium against a real provider (e2e/oidc-provider.mjs):
// a professional opens the portal, chooses "Sign in with my account", signs in on the provider's login page,
// allows the portal on its consent page, comes back signed in, finds the patient and opens the study in the web
// viewer; then a patient signs in the same way on "My imaging" and sees their study. Prints a JSON report (what
// each page showed, every address asked for).
//   node e2e/oidc-check.mjs <node base URL> <output dir> <login> <local patient id> <study UID> <patient login>
import { join } from 'node:path';
import { launchBrowser, viewerDrawn } from './browser.mjs';

const [base, outDir, login, localId, study, patientLogin] = process.argv.slice(2);
const result = { console: [], requests: [] };

/** From the portal page's sign-in button through the provider's login and consent pages, back to the page. */
async function signInAtProvider(page, account, report) {
  await Promise.all([page.waitForURL((u) => !u.href.startsWith(base), { timeout: 30000 }), page.click('#oidc-login')]);
  await page.waitForSelector('input[name=login]', { timeout: 30000 });
  report.providerLogin = { address: page.url(), title: await page.title() };
  await page.fill('input[name=login]', account);
  await page.fill('input[name=password]', 'any');
  await Promise.all([page.waitForURL((u) => u.href !== report.providerLogin.address, { timeout: 30000 }),
    page.click('button[type=submit]')]);
  await page.waitForSelector('form button[type=submit]', { timeout: 30000 });
  report.providerConsent = { address: page.url(), text: (await page.innerText('body')).slice(0, 500) };
  await Promise.all([page.waitForURL((u) => u.href.startsWith(base), { timeout: 30000 }),
    page.click('form button[type=submit]')]);
}

const browser = await launchBrowser({ viewport: { width: 1100, height: 900 } });
try {
  const { page } = browser;
  page.on('pageerror', (e) => result.console.push(String(e).slice(0, 300)));
  page.on('request', (r) => result.requests.push(r.url()));
  await page.goto(`${base}/portal?lang=en`);
  await page.waitForFunction(() => document.body?.dataset.state === 'login', null, { timeout: 30000 });
  result.loginPanel = await page.$eval('#login', (el) => ({ text: el.innerText, oidc: !!el.querySelector('#oidc-login') }));

  await signInAtProvider(page, login, result);

  await page.waitForSelector('#search input[name=PatientID]:visible', { timeout: 30000 });
  result.portal = { addressOnReturn: page.url() };
  await page.fill('#search input[name=PatientID]', localId);
  await page.press('#search input[name=PatientID]', 'Enter');
  await page.waitForFunction(() => ['results', 'error'].includes(document.body?.dataset.state), null, { timeout: 30000 });
  result.portal = { ...result.portal,
    state: await page.evaluate(() => document.body?.dataset.state),
    address: page.url(),
    signedIn: await page.textContent('#signed-in'),
    rows: await page.$$eval('#studies tbody tr', (trs) => trs.map((tr) => tr.dataset.study)),
    session: await page.evaluate(() => JSON.parse(sessionStorage.getItem('imaging-node.session') || 'null')?.kind),
  };
  await page.screenshot({ path: join(outDir, 'portal.png'), fullPage: true });
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/viewer/') && u.search.includes('study='),
    { timeout: 30000 }), page.click(`#studies tbody tr[data-study="${study}"] button.open-web`)]);
  await viewerDrawn(page);
  result.viewer = await page.evaluate(() => {
    const c = document.querySelector('#viewport canvas');
    return { state: document.body.dataset.state, address: location.pathname + location.search,
      canvasWidth: c?.width || 0, canvasHeight: c?.height || 0 };
  });
  await page.screenshot({ path: join(outDir, 'viewer.png') });
} catch (e) {
  result.failure = String(e && e.stack || e);
} finally {
  await browser.close();
}
const patient = await launchBrowser({ viewport: { width: 1100, height: 900 } });
try {
  const { page } = patient;
  page.on('pageerror', (e) => result.console.push(String(e).slice(0, 300)));
  page.on('request', (r) => result.requests.push(r.url()));
  result.patient = {};
  await page.goto(`${base}/me?lang=en`);
  await page.waitForFunction(() => document.body?.dataset.state === 'login', null, { timeout: 30000 });
  await signInAtProvider(page, patientLogin, result.patient);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body?.dataset.state), null, { timeout: 30000 });
  Object.assign(result.patient, {
    state: await page.evaluate(() => document.body?.dataset.state),
    signedIn: await page.textContent('#signed-in'),
    rows: await page.$$eval('#studies tbody tr', (trs) => trs.map((tr) => tr.dataset.study)),
  });
  await page.screenshot({ path: join(outDir, 'patient.png'), fullPage: true });
} catch (e) {
  result.failure = (result.failure ? `${result.failure}\n` : '') + String(e && e.stack || e);
} finally {
  await patient.close();
}
result.ok = !result.failure;
process.stdout.write(JSON.stringify(result) + '\n');
