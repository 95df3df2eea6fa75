#!/usr/bin/env bash
# DIMSE benchmark on loopback (issue: foundation). Generates ~2000 CT-like instances (~512 KB) twice,
# and 4000 more for warm-up, then, for each of RUNS runs on a fresh node: C-STORE of the warm-up instances
# over 1 association (the JIT compiles meanwhile: reported as "fresh node"), then the measured C-STORE with
# storescu over 1 association and over 4 parallel associations, the same loads into DCMTK's storescp
# (baseline: writes files, no fsync, no index), C-GET with getscu, C-MOVE into storescp, and C-FIND study-query latency.
# Reports medians across runs into bench/results/dimse.md.
# Usage: bench/dimse/run.sh [COUNT] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-2000}
RUNS=${2:-3}
# warm-up instances: without them the measured C-STORE over 1 association ran on a node still compiling its
# ingest path; on 2 cores the JIT compiler threads were still busy after 2000 instances (the next 2000 over one
# association went 10-20% faster than those right after the first 2000)
WARMUP=4000
export TCP_NODELAY=1
scripts/setup-debian.sh test
# "package" alone: it compiles the test classes too, and a later phase on the same command line would
# make Maven hand the repackager the modules' class folders instead of their jars (dropped from the jar)
mvn -q -B -DskipTests package
WORK=$(mktemp -d /var/tmp/dimse-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
CP="pacs-bridge/target/classes:pacs-bridge/target/test-classes:/usr/share/java/pixelmed.jar"
echo "generating 2 x $COUNT + $WARMUP instances in $WORK"
STUDY=$(java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/setA" "$COUNT" 4 BENCH-A)
java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/setB" "$COUNT" 4 BENCH-B
java -cp "$CP" org.imagingnode.bridge.dicom.GenerateStudy "$WORK/setW" "$WARMUP" 4 BENCH-W >/dev/null
MB=$(du -sm "$WORK/setA" | cut -f1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
rate() { python3 -c "print(f'{${3:-$COUNT}/($2-$1):.0f}')"; } # t0 t1 [instances]
now() { date +%s.%N; }
store_parallel() { # port aet dir
  local pids=()
  for p in 0 1 2 3; do storescu -aet "$2" -aec "$4" 127.0.0.1 "$1" +sd "$3/part$p" >/dev/null 2>&1 & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid"; done
}
store_one() { storescu -aet "$2" -aec "$4" 127.0.0.1 "$1" +sd +r "$3" >/dev/null; }

declare -A R
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS"
  DIMSE=$(free_port); HTTP=$(free_port); SCP=$(free_port); BASE=$(free_port)
  DATA="$WORK/node$run"; mkdir -p "$DATA" "$WORK/scp$run" "$WORK/base$run"
  # Baseline: DCMTK storescp writing the same objects, no fsync, no index.
  storescp -aet BASE -od "$WORK/base$run" "$BASE" >/dev/null 2>&1 & BASEPID=$!
  wait_port "$BASE"
  t0=$(now); store_one "$BASE" BENCH "$WORK/setA" BASE; t1=$(now); R[base1,$run]=$(rate "$t0" "$t1")
  rm -rf "$WORK/base$run"/*
  t0=$(now); store_parallel "$BASE" BENCH "$WORK/setB" BASE; t1=$(now); R[base4,$run]=$(rate "$t0" "$t1")
  kill "$BASEPID"; wait "$BASEPID" 2>/dev/null || true; rm -rf "$WORK/base$run"

  java -Xmx1g -jar pacs-bridge/target/pacs-bridge.jar --node.data-dir="$DATA" --node.ae-title=NODE \
    --node.dimse.port="$DIMSE" --node.dimse.bind-address=127.0.0.1 --server.port="$HTTP" \
    --node.dimse.calling-aes="BENCH=store|query|retrieve" --node.dimse.move-destinations="SCP=127.0.0.1:$SCP" \
    --logging.level.root=WARN >"$WORK/node$run.log" 2>&1 & NODEPID=$!
  wait_port "$DIMSE"
  t0=$(now); store_one "$DIMSE" BENCH "$WORK/setW" NODE; t1=$(now); R[storecold,$run]=$(rate "$t0" "$t1" "$WARMUP")
  t0=$(now); store_one "$DIMSE" BENCH "$WORK/setA" NODE; t1=$(now); R[store1,$run]=$(rate "$t0" "$t1")
  t0=$(now); store_parallel "$DIMSE" BENCH "$WORK/setB" NODE; t1=$(now); R[store4,$run]=$(rate "$t0" "$t1")
  mkdir -p "$WORK/get$run"
  t0=$(now); getscu -S -aet BENCH -aec NODE 127.0.0.1 "$DIMSE" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" -od "$WORK/get$run" >/dev/null 2>&1; t1=$(now)
  R[get,$run]=$(rate "$t0" "$t1"); GOT=$(ls "$WORK/get$run" | wc -l); rm -rf "$WORK/get$run"
  # the same retrieve, getscu receiving every object but writing none (--ignore): the node's side alone,
  # without getscu's 1 GB of file writes and the page-cache writeback they set off
  t0=$(now); getscu -S --ignore -aet BENCH -aec NODE 127.0.0.1 "$DIMSE" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" >/dev/null 2>&1; t1=$(now)
  R[getmem,$run]=$(rate "$t0" "$t1")
  storescp -aet SCP -od "$WORK/scp$run" "$SCP" >/dev/null 2>&1 & SCPPID=$!
  wait_port "$SCP"
  t0=$(now); movescu -S -aet BENCH -aec NODE -aem SCP 127.0.0.1 "$DIMSE" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" >/dev/null 2>&1; t1=$(now)
  R[move,$run]=$(rate "$t0" "$t1"); MOVED=$(ls "$WORK/scp$run" | wc -l)
  kill "$SCPPID"; wait "$SCPPID" 2>/dev/null || true; rm -rf "$WORK/scp$run"
  FIND=$(java -cp "$CP" org.imagingnode.bridge.dimse.FindLatencyBench 127.0.0.1 "$DIMSE" BENCH NODE BENCH-A 2000)
  R[findp50,$run]=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$FIND")
  R[findp99,$run]=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$FIND")
  echo "  fresh node=${R[storecold,$run]}/s store1=${R[store1,$run]}/s store4=${R[store4,$run]}/s (baseline ${R[base1,$run]}/s, ${R[base4,$run]}/s) get=${R[get,$run]}/s ($GOT files) get-ignore=${R[getmem,$run]}/s move=${R[move,$run]}/s ($MOVED files) find: $FIND"
  [ "$GOT" -eq "$COUNT" ] && [ "$MOVED" -eq "$COUNT" ] || { echo "retrieve incomplete: got $GOT, moved $MOVED of $COUNT" >&2; exit 1; }
  kill "$NODEPID"; wait "$NODEPID" 2>/dev/null || true
  rm -rf "$DATA"
done

median() { local k=$1; for r in $(seq 1 "$RUNS"); do echo "${R[$k,$r]}"; done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
all() { local k=$1; for r in $(seq 1 "$RUNS"); do printf '%s ' "${R[$k,$r]}"; done; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
S1=$(median store1); S4=$(median store4); B1=$(median base1); B4=$(median base4)
OUT=bench/results/dimse.md
cat >"$OUT" <<MD
# DIMSE benchmark

- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)
- command: \`bench/dimse/run.sh $COUNT $RUNS\` ($COUNT CT-like instances of ~512 KB, $MB MB per set; $RUNS runs, each on a fresh node; DCMTK clients with TCP_NODELAY=1)
- baseline: DCMTK \`storescp\` receiving the same loads in the same run (writes files, no fsync, no index)
- the measured C-STORE follows $WARMUP warm-up instances sent to the fresh node over 1 association (their rate has
  its own row): a node in service has long compiled its ingest path

| measure | median | runs | target | baseline (storescp) | node / baseline |
| --- | --- | --- | --- | --- | --- |
| C-STORE, 1 association (instances/s) | $S1 | $(all store1) | >= 350 | $B1 | $(ratio "$S1" "$B1") |
| C-STORE, 4 associations (instances/s) | $S4 | $(all store4) | >= 600 | $B4 | $(ratio "$S4" "$B4") |
| C-STORE to a fresh node, 1 association, first $WARMUP instances, JIT compiling (instances/s) | $(median storecold) | $(all storecold) | | | |
| C-GET study, getscu writing files (instances/s) | $(median get) | $(all get) | >= 800 | | |
| C-GET study, getscu receiving without writing (--ignore) (instances/s) | $(median getmem) | $(all getmem) | >= 800 | | |
| C-MOVE study into storescp (instances/s) | $(median move) | $(all move) | | | |
| C-FIND study by PatientID, p50 (ms) | $(median findp50) | $(all findp50) | | | |
| C-FIND study by PatientID, p99 (ms) | $(median findp99) | $(all findp99) | <= 5 | | |

Reading: storescp writes to the page cache and answers at once; the node answers a C-STORE only once
the object is fsync'd into the blob store (file and directory) and its index rows are committed
(PostgreSQL WAL flush). Over one association DCMTK sends one object at a time, so every object waits
for those flushes in turn: on this machine's virtual disk they, not CPU, bound the single-association
rate. Four associations overlap their flushes.

C-GET: getscu writes every object it receives to a file (1 GB per run), and once the page cache's
dirty limit is reached the kernel's writeback throttles it; that varies from run to run with what
else the disk is doing. The \`--ignore\` row is the same retrieve with getscu keeping nothing: the
node's own side of C-GET (index look-up, blob reads, sending) without the client's disk.
MD
cat "$OUT"
