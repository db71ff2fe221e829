#!/usr/bin/env bash
# Runs part of the test suite on Node.js 22 (fetched by fetch.sh beside this script), the second
# runtime Sightline supports beside Node 20: `npm test` runs everything on the machine's Node; this
# runs again, on 22, the unit and contract suites, the check that npm warns about no package there,
# and the end-to-end tests a user meets first (the README tour, `sightline up`, distributed mode on
# Kafka). To keep .ci/run under 25 minutes some run on Node 20 only: the kill -9 cycles (twice:
# local disk and an object store) and the first run from a fresh copy (about 40 s of tsc builds
# through the build script and the launcher; on 22 the build script only finds dist/ current).
# Uses the node_modules and dist/ that `npm ci` made: the lockfile is the same on both, and the
# only native module (DuckDB's) is N-API.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(bash scripts/node22/fetch.sh)"
export PATH="$bin:$PATH"
echo "== node $(node --version) from $bin"
node scripts/build.mjs --if-stale
# The unit tests two files at a time, as `npm test` runs them; the rest one at a time.
node --test --test-concurrency=2 $(find dist/test/unit -name '*.test.js' | sort)
node --test --test-concurrency=1 \
  $(find dist/test/contract -name '*.test.js' | sort) \
  dist/test/integration/node-engines.test.js \
  dist/test/integration/kafka/up-on-kafka.test.js \
  dist/test/e2e/tour.test.js dist/test/e2e/up-and-query.test.js
