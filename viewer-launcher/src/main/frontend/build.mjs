// Maven's front-end step (viewer-launcher, generate-resources): installs the locked npm packages when
// node_modules does not match package-lock.json, then builds with vite into VIEWER_OUT_DIR, unless the
// sources are unchanged since the last build (the hash is kept in VIEWER_STAMP). Uses the machine's
// node and npm; only npm packages are downloaded, from the npm registry.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.env.VIEWER_OUT_DIR;
const stamp = process.env.VIEWER_STAMP;
if (!outDir || !stamp) {
  console.error('VIEWER_OUT_DIR and VIEWER_STAMP are required');
  process.exit(2);
}
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node.js ${process.versions.node} is too old for vite 7: 20.19 or later is required`);
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// node_modules is trusted when the last "npm ci" here was of this very package-lock.json
const lockHash = createHash('sha256').update(readFileSync(join(here, 'package-lock.json'))).digest('hex');
const marker = join(here, 'node_modules', '.imaging-node-lock-hash');
if (!existsSync(marker) || readFileSync(marker, 'utf8') !== lockHash) {
  console.log('[viewer] npm ci');
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: here, stdio: 'inherit' });
  writeFileSync(marker, lockHash);
}

function hashTree(hash, path) {
  const s = statSync(path);
  if (s.isDirectory()) {
    for (const name of readdirSync(path).sort()) hashTree(hash, join(path, name));
  } else {
    hash.update(path.slice(here.length));
    hash.update(readFileSync(path));
  }
}
const hash = createHash('sha256');
for (const p of ['src', 'index.html', 'portal.html', 'me.html', 'vite.config.js', 'package-lock.json', 'build.mjs']) hashTree(hash, join(here, p));
hash.update(outDir);
const digest = hash.digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && existsSync(join(outDir, 'index.html'))) {
  console.log('[viewer] up to date');
  process.exit(0);
}
console.log('[viewer] vite build ->', outDir);
execFileSync(npm, ['run', 'build', '--silent'], { cwd: here, stdio: 'inherit', env: { ...process.env, VIEWER_OUT_DIR: outDir } });
mkdirSync(dirname(stamp), { recursive: true });
writeFileSync(stamp, digest);
