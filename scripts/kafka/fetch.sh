#!/usr/bin/env bash
# Copies Apache Kafka's broker jars from Maven Central (the version is in pom.xml beside this
# script) into node_modules/.cache/sightline-kafka/<version>/libs and prints that folder. The
# tests and .ci/run call this, so no test pays for the download inside its timeout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../lib/maven-copy.sh
. "$root/scripts/lib/maven-copy.sh"
version="$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$here/pom.xml")"
copy_maven_dependencies "$here/pom.xml" "$root/node_modules/.cache/sightline-kafka/$version/libs" "Apache Kafka $version" "kafka_2.13-$version.jar"
