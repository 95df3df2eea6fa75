#!/usr/bin/env bash
# Storage benchmark: put/get throughput of the filesystem and S3 blob stores, 512 KB and 50 MB
# objects, several runs, medians and the S3/FS ratios. S3 is an in-process S3Proxy on 127.0.0.1 and
# a second server, s3rver (npm, pinned in bench/storage/package-lock.json), started here on 127.0.0.1
# with a system-chosen port and stopped on exit. Writes bench/results/storage.md.
#
# Usage: bench/storage/run.sh [--runs 7] [--small-count 200] [--large-count 4]
# Needs ~1.5 GB free on the disk holding storage/target, Node.js/npm for s3rver (without them the
# S3Proxy columns alone are measured); takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
export BENCH_COMMAND="bench/storage/run.sh${*:+ $*}"

# compile main and test classes of storage (validating the reactor, which installs PixelMed)
mvn -q -B -pl storage -am test-compile

# s3rver on loopback, its data under storage/target
s3rver_args=()
if command -v npm >/dev/null; then
  npm ci --prefix bench/storage --no-audit --no-fund --silent
  data="$repo/storage/target/s3rver-data"
  rm -rf "$data" && mkdir -p "$data"
  log="$repo/storage/target/s3rver.log"
  node bench/storage/node_modules/s3rver/bin/s3rver.js -d "$data" -a 127.0.0.1 -p 0 -s >"$log" 2>&1 &
  s3rver_pid=$!
  trap 'kill "$s3rver_pid" 2>/dev/null || true; rm -rf "$data"' EXIT
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    [[ -n "$port" ]] && break
    kill -0 "$s3rver_pid" 2>/dev/null || { cat "$log" >&2; echo "s3rver did not start" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "s3rver did not report its port" >&2; exit 1; }
  s3rver_args=(--s3rver "http://127.0.0.1:$port")
else
  echo "npm not found: measuring S3Proxy only" >&2
fi

# run the benchmark main class (test classpath) in a forked JVM with a fixed heap
mvn -q -B -pl storage org.codehaus.mojo:exec-maven-plugin:exec \
  -Dexec.executable=java \
  -Dexec.classpathScope=test \
  -Dexec.args="-Xms2g -Xmx2g -cp %classpath org.imagingnode.storage.StorageBenchmark \
--dir ${repo}/storage/target/storage-bench --out ${repo}/bench/results/storage.md ${s3rver_args[*]} $*"
