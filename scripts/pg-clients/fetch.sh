#!/usr/bin/env bash
# Copies pgjdbc (the Postgres JDBC driver, version in pom.xml beside this script) from Maven Central
# into node_modules/.cache/sightline-pg-clients/<version> and prints that folder. The Postgres wire
# protocol tests run a JDBC client from it (test/tools/PgJdbcCheck.java); .ci/run calls this first,
# so no test pays for the download inside its timeout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="$(sed -n 's#.*<pgjdbc.version>\(.*\)</pgjdbc.version>.*#\1#p' "$here/pom.xml")"
dest="$root/node_modules/.cache/sightline-pg-clients/$version"
if [ ! -f "$dest/.complete" ]; then
  command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is needed to fetch pgjdbc $version" >&2; exit 1; }
  rm -rf "$dest" "$dest.partial"
  mkdir -p "$dest.partial"
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest.partial" >&2
  ls "$dest.partial"/postgresql-"$version".jar >/dev/null
  touch "$dest.partial/.complete"
  mv "$dest.partial" "$dest"
fi
echo "$dest"
