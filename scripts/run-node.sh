#!/usr/bin/env bash
# Builds and runs the node on its embedded defaults: filesystem blobs and an embedded PostgreSQL
# under ./data, DIMSE on port 11112, HTTP on port 8080. Extra arguments go to the node
# (e.g. --node.dimse.calling-aes="MODALITY=store").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh run
mvn -q -B -DskipTests package
exec java -jar pacs-bridge/target/pacs-bridge.jar "$@"
