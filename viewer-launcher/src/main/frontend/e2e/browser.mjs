// What the browser checks share: a headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) with a fresh
// profile, and waiting until the web viewer has drawn its first image.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A browser context on a new profile; close() removes the profile. Options go to Playwright's context. */
export async function launchBrowser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'node-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1024, height: 768 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    ...options,
  });
  const page = context.pages()[0] || await context.newPage();
  return { context, page, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** Waits until the viewer in this page is ready and its canvas shows something (or it reports an error). */
export async function viewerDrawn(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body?.dataset.state), null, { timeout: 30000 });
  await page.waitForFunction(() => {
    const c = document.querySelector('#viewport canvas');
    const d = c && c.width ? c.getContext('2d').getImageData(0, 0, c.width, c.height).data : [];
    for (let i = 0; i < d.length; i += 4 * 53) if (d[i] || d[i + 1] || d[i + 2]) return true;
    return document.body.dataset.state === 'error';
  }, null, { timeout: 15000 });
}
