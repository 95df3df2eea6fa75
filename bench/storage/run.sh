#!/usr/bin/env bash
# Storage benchmark: put/get throughput of the filesystem and S3 blob stores (S3 through an
# in-process S3Proxy on 127.0.0.1, over HTTP with the MinIO SDK), 512 KB and 50 MB objects,
# several runs, medians and the S3/FS ratio. Writes bench/results/storage.md.
#
# Usage: bench/storage/run.sh [--runs 7] [--small-count 200] [--large-count 4]
# Needs ~1 GB free on the disk holding storage/target; takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
export BENCH_COMMAND="bench/storage/run.sh${*:+ $*}"

# compile main and test classes of storage (validating the reactor, which installs PixelMed)
mvn -q -B -pl storage -am test-compile

# run the benchmark main class (test classpath) in a forked JVM with a fixed heap
mvn -q -B -pl storage org.codehaus.mojo:exec-maven-plugin:exec \
  -Dexec.executable=java \
  -Dexec.classpathScope=test \
  -Dexec.args="-Xms2g -Xmx2g -cp %classpath org.imagingnode.storage.StorageBenchmark \
--dir ${repo}/storage/target/storage-bench --out ${repo}/bench/results/storage.md $*"
