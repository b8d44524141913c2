#!/usr/bin/env bash
# Reruns the benchmark: builds the jar if needed, then runs bench.py (needs python3 and node).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/cyclr-onboarder.jar ] || ./mvnw -q -B package -DskipTests
exec python3 bench/bench.py "$@"
