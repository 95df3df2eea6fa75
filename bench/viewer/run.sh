#!/usr/bin/env bash
# Web viewer page-load benchmark on loopback (issue 6 target: a 300-image CT study shows its first image
# <= 1.5 s after the page is opened). Generates one CT series of COUNT 512x512 16-bit images, starts the
# packaged node (open-dev security, embedded PostgreSQL, filesystem blobs), stores the series with storescu,
# then RUNS times opens /viewer/?study=... in a fresh headless Chromium (new profile: cold browser cache)
# and measures the time from navigation to the first image drawn on the canvas (pixels read back), plus the
# time to scroll through 20 images. Reports each run and the median into bench/results/viewer.md.
# Usage: bench/viewer/run.sh [COUNT=300] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-300}
RUNS=${2:-5}
export TCP_NODELAY=1
scripts/setup-debian.sh test
# two invocations: "package test-compile" in one run leaves the executable jar without the reactor's modules;
# nothing is installed into the local Maven repository (other builds share it)
mvn -q -B -DskipTests package
mvn -q -B -pl pacs-bridge -am test-compile
WORK=$(mktemp -d /var/tmp/viewer-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
CP="pacs-bridge/target/classes:pacs-bridge/target/test-classes:/usr/share/java/pixelmed.jar"
STUDY=$(java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/study" "$COUNT" 1 VIEWER-BENCH)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
DIMSE=$(free_port); HTTP=$(free_port)
java -Xmx1g -jar pacs-bridge/target/pacs-bridge.jar --node.data-dir="$WORK/node" --node.ae-title=NODE \
  --node.dimse.port="$DIMSE" --node.dimse.bind-address=127.0.0.1 --server.address=127.0.0.1 --server.port="$HTTP" \
  --node.dimse.calling-aes="BENCH=store" --node.security.mode=open-dev \
  --node.http.limits.requests-per-second=1000000 --node.http.limits.burst=1000000 \
  --logging.level.root=WARN >"$WORK/node.log" 2>&1 & NODEPID=$!
wait_port "$DIMSE"; wait_port "$HTTP"
storescu -aet BENCH -aec NODE 127.0.0.1 "$DIMSE" +sd +r "$WORK/study" >/dev/null
URL="http://127.0.0.1:$HTTP/viewer/?study=$STUDY"
mkdir -p "$WORK/shots"
# one warm-up (JIT of the node, page cache of the blobs), not counted
node viewer-launcher/src/main/frontend/e2e/viewer-check.mjs "$URL" "$WORK/shots" --scroll 20 >/dev/null
# the machine may be shared: its load during the runs goes into the results
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
ROWS=()
for run in $(seq 1 "$RUNS"); do
  OUT=$(node viewer-launcher/src/main/frontend/e2e/viewer-check.mjs "$URL" "$WORK/shots" --scroll 20)
  ROWS+=("$(python3 -c '
import json,sys; r=json.loads(sys.argv[1])
assert r["ok"], r.get("failure")
print(r["firstImageMs"], r["firstImageNavMs"], r["steps"]["first"]["count"], r["scrollMs"])' "$OUT")")
  echo "run $run: ${ROWS[-1]}"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
kill "$NODEPID"; wait "$NODEPID" 2>/dev/null || true

mkdir -p bench/results
python3 - "$COUNT" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(chromium --version 2>/dev/null | head -1)" \
  "$LOAD_BEFORE / $LOAD_AFTER" "${ROWS[@]}" > bench/results/viewer.md <<'PY'
import statistics, sys
count, cores, when, chrome, load = sys.argv[1:6]
rows = [r.split() for r in sys.argv[6:]]
first = [int(r[0]) for r in rows]; nav = [int(r[1]) for r in rows]; scroll = [int(r[3]) for r in rows]
med = statistics.median(first)
print(f"# Web viewer: page load to first image ({count}-image CT series)\n")
print(f"Measured {when} by `bench/viewer/run.sh {count} {len(rows)}` on {cores} cores, loopback, {chrome}, headless,")
print("a fresh browser profile per run (cold cache), the packaged node in open-dev mode. One warm-up run not counted.")
print(f"Load average (1 min) of the machine before / after the runs: {load}.\n")
print("| run | navigation -> first image drawn (ms) | of which in-page, from navigation start (ms) | images in series | scroll 20 images (ms) |")
print("| --- | --- | --- | --- | --- |")
for i, r in enumerate(rows, 1):
    print(f"| {i} | {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
print(f"\n**Median: {med:.0f} ms to first image** (target <= 1500 ms: {'met' if med <= 1500 else 'NOT met'});"
      f" median scroll of 20 images {statistics.median(scroll):.0f} ms.\n")
print("\"First image drawn\" = the viewport canvas read back with non-black pixels after QIDO-RS (study, series),"
      " WADO-RS series metadata and the first frame; the time includes loading and compiling the viewer's"
      " JavaScript bundle.")
PY
cat bench/results/viewer.md
