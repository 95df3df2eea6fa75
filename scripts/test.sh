#!/usr/bin/env bash
# Runs the whole test suite (unit and integration tests against real PostgreSQL, S3 and DCMTK peers).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh test
mvn -B verify "$@"
