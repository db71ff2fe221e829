#!/usr/bin/env bash
# Fetches DuckDB's signed extensions into node_modules/.cache/sightline-duckdb-extensions/
# v<duckdb>/linux_amd64 (DuckDB's own extension_directory layout) and prints that folder; Sightline
# never lets DuckDB download extensions at run time. httpfs is needed only for encryption at rest of
# the hot store and the Parquet files: DuckDB writes encrypted files only with httpfs's OpenSSL
# loaded. iceberg (with avro, which it loads itself) lets the tests read the Iceberg tables we write
# with an independent reader. They come from PyPI (pip download, pinned by hash in requirements.txt
# beside this script), where each extension is packaged as a wheel; the duckdb version must match
# @duckdb/node-api's, since DuckDB loads only extensions built for its own version.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duckdb="$(node -e "import('@duckdb/node-api').then(async (m) => { const c = await (await m.DuckDBInstance.create(':memory:')).connect(); console.log((await c.runAndReadAll('SELECT version()')).getRows()[0][0]); })" 2>/dev/null)"
# One "<extension> v<version>" line for each pin in requirements.txt.
pins="$(sed -n 's/^duckdb-extension-\([a-z0-9_]*\)==\([0-9.]*\).*/\1 v\2/p' "$here/requirements.txt")"
if [ -z "$pins" ]; then
  echo "fetch.sh: requirements.txt pins no duckdb-extension-*" >&2
  exit 1
fi
while read -r name wanted; do
  if [ "$duckdb" != "$wanted" ]; then
    echo "fetch.sh: @duckdb/node-api embeds DuckDB $duckdb, but requirements.txt pins $name for $wanted" >&2
    exit 1
  fi
done <<< "$pins"
dest="$root/node_modules/.cache/sightline-duckdb-extensions"
dir="$dest/$duckdb/linux_amd64"
missing=""
for name in $(cut -d' ' -f1 <<< "$pins"); do
  [ -f "$dir/$name.duckdb_extension" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # --require-hashes takes the whole file: every pinned wheel comes down; only the missing are
  # put in place.
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --require-hashes -r "$here/requirements.txt" -d "$work"
  mkdir -p "$dir"
  for name in $missing; do
    python3 -m zipfile -e "$work"/duckdb_extension_"$name"-*.whl "$work/unpacked"
    cp "$work/unpacked/duckdb_extension_$name/extensions/$duckdb/$name.duckdb_extension" "$dir/$name.duckdb_extension.partial"
    mv "$dir/$name.duckdb_extension.partial" "$dir/$name.duckdb_extension"
  done
fi
echo "$dest"
