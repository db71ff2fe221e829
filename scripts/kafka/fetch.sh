#!/usr/bin/env bash
# Copies Apache Kafka's broker jars from Maven Central (the version is in pom.xml beside this
# script) into node_modules/.cache/sightline-kafka/<version>/libs and prints that folder. Maven's
# own cache (~/.m2) makes a second run quick; a finished copy is marked so it is not redone. The
# tests and .ci/run call this, so no test pays for the download inside its timeout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$here/pom.xml")"
dest="$root/node_modules/.cache/sightline-kafka/$version"
if [ ! -f "$dest/libs/.complete" ]; then
  command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is needed to fetch Apache Kafka $version" >&2; exit 1; }
  rm -rf "$dest/libs" "$dest/libs.partial"
  mkdir -p "$dest"
  # Copied into a side folder and renamed at the end, so an interrupted run never looks complete.
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$dest/libs.partial" >&2
  ls "$dest/libs.partial"/kafka_2.13-"$version".jar >/dev/null
  touch "$dest/libs.partial/.complete"
  mv "$dest/libs.partial" "$dest/libs"
fi
echo "$dest/libs"
