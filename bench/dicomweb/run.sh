#!/usr/bin/env bash
# DICOMweb benchmark on loopback. Generates COUNT CT-like instances (~512 KB, one study in 4 series)
# and a typical 200-instance study, then for each of RUNS runs on a fresh node (node.security.mode=open-dev):
#   STOW-RS of 600 warm-up instances to the fresh node (the JIT compiles meanwhile; Java client, reported as
#   "fresh node"), then of the COUNT instances (4 curl clients, 20 instances per prebuilt request body: the
#   measured rate), STOW of the typical study, a wait
#   until autovacuum has analyzed the index tables (steady state: the node never runs ANALYZE itself),
#   QIDO-RS study search by PatientID with wrk (4 connections, 10 s), study metadata (cold, then warm),
#   WADO-RS whole study with curl (baseline in the same run: reading the same files from page cache
#   with cat), single-instance retrieve latency.
# After the last run, index rows are synthesised directly in SQL (not through ingest) up to 100k and 1M
# instances, and QIDO latency is measured again at each size.
# Medians across runs go to bench/results/dicomweb.md.  Usage: bench/dicomweb/run.sh [COUNT] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-2000}
RUNS=${2:-3}
scripts/setup-debian.sh test
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v psql >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq postgresql-client >/dev/null; }
# BENCH_SKIP_BUILD=1: use what the last build left in pacs-bridge/target
# "package" alone: it compiles the test classes too (a second phase on the same command line would make
# the repackager drop the module jars from pacs-bridge.jar); nothing is installed into ~/.m2
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || mvn -q -B -DskipTests package
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /var/tmp/dicomweb-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
# a private copy of the build, so a build running meanwhile in the same tree cannot pull it away
cp pacs-bridge/target/pacs-bridge.jar "$WORK/node.jar"
cp -r pacs-bridge/target/classes "$WORK/classes"; cp -r pacs-bridge/target/test-classes "$WORK/test-classes"
CP="$WORK/classes:$WORK/test-classes:/usr/share/java/pixelmed.jar"
echo "generating $COUNT + 200 instances in $WORK"
STUDY=$(java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/setA" "$COUNT" 4 BENCH-A)
SMALL=$(java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/setC" 200 1 BENCH-C)
java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/setW" 600 2 BENCH-W >/dev/null
# STOW-RS request bodies of 20 instances each, written once: curl only sends them
python3 - "$WORK" <<'PY'
import glob, os, sys
work = sys.argv[1]
files = sorted(glob.glob(f'{work}/setA/**/*.dcm', recursive=True))
os.makedirs(f'{work}/stow-bodies')
for i in range(0, len(files), 20):
    with open(f'{work}/stow-bodies/{i // 20:05d}', 'wb') as out:
        for f in files[i:i + 20]:
            out.write(b'--BENCHBOUNDARY\r\nContent-Type: application/dicom\r\n\r\n')
            with open(f, 'rb') as dcm:
                out.write(dcm.read())
            out.write(b'\r\n')
        out.write(b'--BENCHBOUNDARY--\r\n')
PY
MB=$(du -sm "$WORK/setA" | cut -f1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$1/dicomweb/studies?PatientID=x" && return 0; sleep 0.1; done; echo "node never answered on $1" >&2; tail -30 "$WORK"/node*.log >&2; return 1; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
# wrk's latency distribution (ms) and requests/s
wrk_stats() { # url: 5 s of warm-up (JIT, caches, the database's plans), then 10 s measured
  wrk -t2 -c4 -d5s -H 'Accept: application/dicom+json' "$1" >/dev/null
  local out; out=$(wrk -t2 -c4 -d10s --latency -H 'Accept: application/dicom+json' "$1")
  local p50 p99 rps
  p50=$(awk '/^ +50%/{print $2}' <<<"$out"); p99=$(awk '/^ +99%/{print $2}' <<<"$out"); rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  echo "$(to_ms "$p50") $(to_ms "$p99") ${rps%.*}"
}
to_ms() { python3 -c "import re,sys; v='$1'; m=re.match(r'([0-9.]+)(us|ms|s)',v); x=float(m.group(1)); print(f'{x/1000 if m.group(2)==\"us\" else x*1000 if m.group(2)==\"s\" else x:.2f}')"; }
gbps() { python3 -c "print(f'{$1/$2/1e9:.2f}')"; }
now() { date +%s.%N; }
node_sql() { PGPASSWORD=$(cat "$DATA/postgres/node-password") psql -tA -h 127.0.0.1 -p "$PG" -U postgres -d imagingnode -c "$1"; }
# steady state for the queries: autovacuum (the node never runs ANALYZE) has analyzed the instance table
# since $1 (the database's time at the end of the ingest) and no index table has more changes since its
# last analyze than autovacuum's threshold for it (50 rows + 2%, migration V61)
wait_analyzed() {
  for _ in $(seq 1 600); do
    [ "$(node_sql "SELECT count(*) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
          WHERE s.relname IN ('patient', 'study', 'series', 'instance')
            AND (s.n_mod_since_analyze > 50 + 0.02 * greatest(c.reltuples, 0)
                 OR s.relname = 'instance' AND coalesce(greatest(s.last_autoanalyze, s.last_analyze), '-infinity') < '$1')")" = 0 ] && return 0
    sleep 0.5
  done
  echo "the index tables were not analyzed within 300 s of the ingest" >&2; return 1
}

declare -A R
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS"
  HTTP=$(free_port); DIMSE=$(free_port); PG=$(free_port)
  DATA="$WORK/node$run"; mkdir -p "$DATA"
  java -Xmx1g -jar "$WORK/node.jar" --node.data-dir="$DATA" --node.ae-title=NODE \
    --node.dimse.port="$DIMSE" --node.dimse.bind-address=127.0.0.1 --server.port="$HTTP" --server.address=127.0.0.1 \
    --node.security.mode=open-dev --node.database.embedded-port="$PG" \
    --node.http.limits.requests-per-second=1000000 --node.http.limits.burst=1000000 \
    --node.http.limits.max-concurrent-requests=10000 \
    --logging.level.root=WARN >"$WORK/node$run.log" 2>&1 & NODEPID=$!
  wait_http "$HTTP"
  BASE="http://127.0.0.1:$HTTP/dicomweb"
  OUT=$(java -cp "$CP" org.imagingnode.bridge.dicomweb.DicomWebBench stow "$BASE" "$WORK/setW" 4 20)
  R[stowcold,$run]=$(field instances_per_s "$OUT"); echo "  STOW to the fresh node (warm-up): $OUT"
  t0=$(now)
  CODES=$(ls "$WORK"/stow-bodies/* | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
    -H 'Content-Type: multipart/related; type="application/dicom"; boundary=BENCHBOUNDARY' \
    -H 'Accept: application/dicom+json' --data-binary @{} "$BASE/studies" | sort | uniq -c | xargs)
  t1=$(now)
  [ "$CODES" = "$(ls "$WORK"/stow-bodies | wc -l) 200" ] || { echo "STOW-RS answers: $CODES" >&2; exit 1; }
  R[stow,$run]=$(python3 -c "print(f'{$COUNT/($t1-$t0):.0f}')"); echo "  STOW: ${R[stow,$run]} instances/s"
  java -cp "$CP" org.imagingnode.bridge.dicomweb.DicomWebBench stow "$BASE" "$WORK/setC" 2 20 >/dev/null
  INGESTED=$(node_sql "SELECT now()")
  t0=$(now); wait_analyzed "$INGESTED"; t1=$(now)
  R[analyzed,$run]=$(python3 -c "print(f'{$t1-$t0:.0f}')"); echo "  index tables analyzed by autovacuum ${R[analyzed,$run]} s after the ingest"
  read -r R[qp50,$run] R[qp99,$run] R[qrps,$run] < <(wrk_stats "$BASE/studies?PatientID=BENCH-A")
  echo "  QIDO: p50=${R[qp50,$run]} ms p99=${R[qp99,$run]} ms ${R[qrps,$run]} req/s"
  # metadata: first request reads every object's header (cold), later ones are served from the cache
  t0=$(now); curl -sf -o /dev/null "$BASE/studies/$SMALL/metadata"; t1=$(now)
  R[mdcold,$run]=$(python3 -c "print(f'{($t1-$t0)*1000:.1f}')")
  OUT=$(java -cp "$CP" org.imagingnode.bridge.dicomweb.DicomWebBench get "$BASE/studies/$SMALL/metadata" application/dicom+json 200)
  R[md200,$run]=$(field p50_ms "$OUT"); R[md200p99,$run]=$(field p99_ms "$OUT")
  curl -sf -o /dev/null "$BASE/studies/$STUDY/metadata"
  OUT=$(java -cp "$CP" org.imagingnode.bridge.dicomweb.DicomWebBench get "$BASE/studies/$STUDY/metadata" application/dicom+json 30)
  R[md2000,$run]=$(field p50_ms "$OUT")
  echo "  metadata: 200-instance study cold ${R[mdcold,$run]} ms, warm p50 ${R[md200,$run]} ms; $COUNT-instance study warm p50 ${R[md2000,$run]} ms"
  # whole study: warm the page cache once, then time the best of 3 (curl discards the body)
  BYTES=$(du -sb "$DATA/blobs" | cut -f1)
  curl -sf -o /dev/null -H 'Accept: multipart/related; type="application/dicom"' "$BASE/studies/$STUDY"
  best=0
  for _ in 1 2 3; do
    sp=$(curl -sf -o /dev/null -w '%{speed_download}' -H 'Accept: multipart/related; type="application/dicom"' "$BASE/studies/$STUDY")
    best=$(python3 -c "print(max($best, $sp))")
  done
  R[wado,$run]=$(python3 -c "print(f'{$best/1e9:.2f}')")
  find "$WORK/setA" -name '*.dcm' -print0 | xargs -0 cat >/dev/null
  t0=$(now); find "$WORK/setA" -name '*.dcm' -print0 | xargs -0 cat >/dev/null; t1=$(now)
  R[raw,$run]=$(gbps "$(du -sb "$WORK/setA" | cut -f1)" "$(python3 -c "print($t1-$t0)")")
  echo "  WADO-RS whole study: ${R[wado,$run]} GB/s (raw file read baseline ${R[raw,$run]} GB/s)"
  SOP=$(curl -sf "$BASE/studies/$STUDY/instances?limit=1&offset=$((COUNT / 2))" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["0020000E"]["Value"][0], d["00080018"]["Value"][0])')
  read -r SERIES INST <<<"$SOP"
  OUT=$(java -cp "$CP" org.imagingnode.bridge.dicomweb.DicomWebBench get "$BASE/studies/$STUDY/series/$SERIES/instances/$INST" 'multipart/related; type="application/dicom"' 500)
  R[inst,$run]=$(field p50_ms "$OUT"); R[instp99,$run]=$(field p99_ms "$OUT")
  OUT=$(java -cp "$CP" org.imagingnode.bridge.dicomweb.DicomWebBench get "$BASE/studies/$STUDY/series/$SERIES/instances/$INST/frames/1" 'multipart/related; type="application/octet-stream"; transfer-syntax=*' 500)
  R[frame,$run]=$(field p50_ms "$OUT")
  echo "  single instance p50 ${R[inst,$run]} ms (p99 ${R[instp99,$run]}), frame p50 ${R[frame,$run]} ms"
  if [ "$run" -lt "$RUNS" ]; then
    kill "$NODEPID"; wait "$NODEPID" 2>/dev/null || true; rm -rf "$DATA"
  fi
done

# QIDO growth: synthesise index rows in SQL (20 instances per study, one patient per study) on the last node
export PGPASSWORD; PGPASSWORD=$(cat "$DATA/postgres/node-password")
synth() { # from_study to_study
  psql -q -h 127.0.0.1 -p "$PG" -U postgres -d imagingnode -v ON_ERROR_STOP=1 <<SQL
INSERT INTO patient (patient_id, issuer, patient_name, patient_name_norm, birth_date, sex)
SELECT 'SYN-' || g, '', 'Synth^Patient' || g, 'SYNTH^PATIENT' || g, date '1940-01-01' + (g % 25000), CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END
  FROM generate_series($1, $2) g;
INSERT INTO study (patient_fk, study_instance_uid, study_date, study_time, accession_number, study_id, study_description)
SELECT p.pk, '2.25.7' || g, date '2015-01-01' + (g % 4000), '101500', 'SACC' || g, '1', 'Synthetic CT'
  FROM generate_series($1, $2) g JOIN patient p ON p.patient_id = 'SYN-' || g AND p.issuer = '';
INSERT INTO series (study_fk, series_instance_uid, modality, series_number, series_description)
SELECT st.pk, st.study_instance_uid || '.1', CASE WHEN st.pk % 3 = 0 THEN 'MR' ELSE 'CT' END, 1, 'Axial'
  FROM study st WHERE st.study_instance_uid IN (SELECT '2.25.7' || g FROM generate_series($1, $2) g);
INSERT INTO instance (series_fk, sop_instance_uid, sop_class_uid, instance_number, pixel_rows, pixel_columns,
                      transfer_syntax_uid, blob_key, blob_size, sha256, dataset_offset)
SELECT se.pk, se.series_instance_uid || '.' || i, '1.2.840.10008.5.1.4.1.1.2', i, 512, 512, '1.2.840.10008.1.2.1',
       'synthetic/none', 0, NULL, 0
  FROM series se CROSS JOIN generate_series(1, 20) i
 WHERE se.series_instance_uid IN (SELECT '2.25.7' || g || '.1' FROM generate_series($1, $2) g);
ANALYZE;
SQL
}
count_instances() { psql -tA -h 127.0.0.1 -p "$PG" -U postgres -d imagingnode -c 'SELECT count(*) FROM instance'; }
BASE="http://127.0.0.1:$HTTP/dicomweb"
N0=$(count_instances)
synth 1 $(( (100000 - N0) / 20 )); N100=$(count_instances)
read -r G100P50 G100P99 G100RPS < <(wrk_stats "$BASE/studies?PatientID=SYN-777")
read -r G100BP50 G100BP99 _ < <(wrk_stats "$BASE/studies?PatientID=BENCH-A")
echo "  $N100 instances: QIDO p50 $G100P50 ms p99 $G100P99 ms $G100RPS req/s"
synth $(( (100000 - N0) / 20 + 1 )) $(( (1000000 - N0) / 20 )); N1M=$(count_instances)
read -r G1MP50 G1MP99 G1MRPS < <(wrk_stats "$BASE/studies?PatientID=SYN-777")
read -r G1MBP50 G1MBP99 _ < <(wrk_stats "$BASE/studies?PatientID=BENCH-A")
read -r GNP50 GNP99 GNRPS < <(wrk_stats "$BASE/studies?PatientName=SYNTH%5EPATIENT777*&limit=50")
read -r GDP50 GDP99 GDRPS < <(wrk_stats "$BASE/studies?StudyDate=20200101-20200102&ModalitiesInStudy=MR&limit=100")
echo "  $N1M instances: QIDO p50 $G1MP50 ms p99 $G1MP99 ms $G1MRPS req/s"
kill "$NODEPID"; wait "$NODEPID" 2>/dev/null || true

median() { local k=$1; for r in $(seq 1 "$RUNS"); do echo "${R[$k,$r]}"; done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
all() { local k=$1; for r in $(seq 1 "$RUNS"); do printf '%s ' "${R[$k,$r]}"; done; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
W=$(median wado); RAW=$(median raw)
RES=bench/results/dicomweb.md
cat >"$RES" <<MD
# DICOMweb benchmark

- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)
- command: \`bench/dicomweb/run.sh $COUNT $RUNS\` ($COUNT CT-like instances of ~512 KB in one study of 4 series, $MB MB,
  plus a 200-instance study; $RUNS runs, each on a fresh node with an embedded PostgreSQL, loopback only)
- tools: wrk (2 threads, 4 connections, 10 s) for QIDO; curl for the whole-study retrieve and for STOW-RS
  (4 parallel curl, 20 instances per request, after 600 warm-up instances); a Java client (\`DicomWebBench\`,
  test sources) for the warm-up STOW-RS and the sequential latencies
- every request goes through the access filter and writes an audit row (node.security.mode=open-dev)
- QIDO and the rest are measured in steady state: after the ingest the script waits until autovacuum has
  analyzed the index tables (pg_stat_user_tables; the node never runs ANALYZE); seconds waited per run: $(all analyzed)
- load average at the start: $LOAD_BEFORE; at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine show here)

| measure | median | runs | target | baseline | node / baseline |
| --- | --- | --- | --- | --- | --- |
| QIDO study search by PatientID, p50 (ms) | $(median qp50) | $(all qp50) | | | |
| QIDO study search by PatientID, p99 (ms) | $(median qp99) | $(all qp99) | <= 5 | | |
| QIDO study search by PatientID, 4 clients (req/s) | $(median qrps) | $(all qrps) | >= 1500 | | |
| study metadata, 200 instances, first request (ms) | $(median mdcold) | $(all mdcold) | | | |
| study metadata, 200 instances, p50 (ms) | $(median md200) | $(all md200) | <= 15 | | |
| study metadata, 200 instances, p99 (ms) | $(median md200p99) | $(all md200p99) | | | |
| study metadata, $COUNT instances, p50 (ms) | $(median md2000) | $(all md2000) | | | |
| WADO-RS whole study, curl (GB/s) | $W | $(all wado) | >= 1 | $RAW (cat of the same files) | $(ratio "$W" "$RAW") |
| WADO-RS single instance (512 KB), p50 (ms) | $(median inst) | $(all inst) | <= 2 | | |
| WADO-RS single instance, p99 (ms) | $(median instp99) | $(all instp99) | | | |
| WADO-RS one frame, p50 (ms) | $(median frame) | $(all frame) | | | |
| STOW-RS (instances/s) | $(median stow) | $(all stow) | >= 400 | | |
| STOW-RS to a fresh node, first 600 instances, JIT compiling (instances/s) | $(median stowcold) | $(all stowcold) | | | |

## QIDO latency as the index grows (last run's node; rows synthesised in SQL, 20 instances per study)

| indexed instances | query | p50 (ms) | p99 (ms) | req/s (4 clients) |
| --- | --- | --- | --- | --- |
| $((COUNT + 200)) | PatientID (the benchmark patient) | $(median qp50) | $(median qp99) | $(median qrps) |
| $N100 | PatientID (a synthetic patient) | $G100P50 | $G100P99 | $G100RPS |
| $N100 | PatientID (the benchmark patient, $COUNT instances) | $G100BP50 | $G100BP99 | |
| $N1M | PatientID (a synthetic patient) | $G1MP50 | $G1MP99 | $G1MRPS |
| $N1M | PatientID (the benchmark patient, $COUNT instances) | $G1MBP50 | $G1MBP99 | |
| $N1M | PatientName prefix wildcard, limit 50 | $GNP50 | $GNP99 | $GNRPS |
| $N1M | StudyDate range + ModalitiesInStudy=MR, limit 100 | $GDP50 | $GDP99 | $GDRPS |
MD
cat "$RES"
