#!/usr/bin/env bash
# Soak on loopback: ingest (C-STORE, 2 associations, new small instances) and query (QIDO-RS, 2 clients)
# at the same time for MINUTES (default 10), against the packaged node on a fresh data folder; then
# reports throughput, QIDO p50/p99 and every error into bench/results/soak.md.
# Target: zero errors, QIDO p99 under load <= 50 ms.  Usage: bench/soak/run.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${1:-10}
scripts/setup-debian.sh test
mvn -q -B -DskipTests package
WORK=$(mktemp -d /var/tmp/soak.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
DIMSE=$(free_port); HTTP=$(free_port)
java -Xmx1g -jar pacs-bridge/target/pacs-bridge.jar --node.data-dir="$WORK/node" --node.ae-title=NODE \
  --node.dimse.port="$DIMSE" --node.dimse.bind-address=127.0.0.1 --server.port="$HTTP" --server.address=127.0.0.1 \
  --node.dimse.calling-aes="SOAK=store" --node.security.mode=open-dev --logging.level.root=WARN \
  >"$WORK/node.log" 2>&1 & NODEPID=$!
wait_port "$DIMSE"; wait_port "$HTTP"
CP="pacs-bridge/target/classes:pacs-bridge/target/test-classes:/usr/share/java/pixelmed.jar"
RESULT=$(java -cp "$CP" org.imagingnode.bridge.testing.SoakClient 127.0.0.1 "$DIMSE" NODE "$HTTP" $((MINUTES * 60)) 2 2)
echo "$RESULT"
ERRORS=$(grep -c -E " ERROR |OutOfMemoryError" "$WORK/node.log" || true)
kill "$NODEPID"; wait "$NODEPID" 2>/dev/null || true
field() { sed -n "s/.*$1=\([-0-9.]*\).*/\1/p" <<<"$RESULT"; }
cat >bench/results/soak.md <<MD
# Soak: ingest and query together

- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)
- command: \`bench/soak/run.sh $MINUTES\` (packaged node, embedded PostgreSQL, filesystem store; 2 associations
  storing new 64x64 CT instances in studies of 50, 2 QIDO-RS clients searching the stored patients; loopback only)

| measure | value | target |
| --- | --- | --- |
| duration (s) | $(field seconds) | $((MINUTES * 60)) |
| instances stored | $(field stored) | |
| ingest (instances/s) | $(field store_per_s) | |
| QIDO queries | $(field queries) ($(field query_per_s)/s) | |
| QIDO p50 under load (ms) | $(field qido_p50_ms) | |
| QIDO p99 under load (ms) | $(field qido_p99_ms) | <= 50 |
| store errors | $(field store_errors) | 0 |
| query errors | $(field query_errors) | 0 |
| ERROR lines in the node's log | $ERRORS | 0 |
MD
cat bench/results/soak.md
