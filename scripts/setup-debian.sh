#!/usr/bin/env bash
# Installs the Debian packages the node needs, once. Usage: setup-debian.sh run|test
set -euo pipefail
need=(openjdk-17-jdk-headless maven libpixelmed-java)
if [ "${1:-run}" = test ]; then
  # chromium: the web viewer's browser tests (headless, driven by playwright-core from the npm registry);
  # libopenjp2-tools: opj_compress makes the JPEG 2000 test images; openjph-tools: ojph_compress the HTJ2K ones
  need+=(dcmtk docker-compose chromium libopenjp2-tools openjph-tools)
fi
# The web viewer (viewer-launcher) is built with Node.js >= 20.19 and npm. Debian's own nodejs is too old
# for vite 7; install it only where no node is present (the build then says which version it needs).
if ! command -v node >/dev/null 2>&1; then
  need+=(nodejs npm)
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# vite 7 (the web viewer's build) needs Node.js >= 20.19, newer than Debian 12's nodejs (18): then
# Node 20 comes from the npm registry (package "node", installed into /usr/local).
node_ok() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}
if ! node_ok; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Node.js >= 20.19 is needed for the web viewer (as root: npm install -g node@20)" >&2
    exit 1
  fi
  echo "installing Node.js 20 from the npm registry"
  npm install -g node@20 >/dev/null 2>&1
  hash -r
  node_ok || { echo "Node.js >= 20.19 could not be installed" >&2; exit 1; }
fi
