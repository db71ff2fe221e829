#!/usr/bin/env bash
# Copies pgjdbc (the Postgres JDBC driver, version in pom.xml beside this script) from Maven Central
# into node_modules/.cache/sightline-pg-clients/<version> and prints that folder. The Postgres wire
# protocol tests run a JDBC client from it (test/tools/PgJdbcCheck.java); .ci/run calls this first,
# so no test pays for the download inside its timeout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../lib/maven-copy.sh
. "$root/scripts/lib/maven-copy.sh"
version="$(sed -n 's#.*<pgjdbc.version>\(.*\)</pgjdbc.version>.*#\1#p' "$here/pom.xml")"
copy_maven_dependencies "$here/pom.xml" "$root/node_modules/.cache/sightline-pg-clients/$version" "pgjdbc $version" "postgresql-$version.jar"
