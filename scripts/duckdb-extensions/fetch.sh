#!/usr/bin/env bash
# Fetches DuckDB's signed httpfs extension into node_modules/.cache/sightline-duckdb-extensions/
# v<duckdb>/linux_amd64 (DuckDB's own extension_directory layout) and prints that folder. Needed
# only for encryption at rest of the hot store and the Parquet files: DuckDB writes encrypted files
# only with httpfs's OpenSSL loaded, and Sightline never lets DuckDB download extensions at run
# time. It comes from PyPI (pip download, pinned by hash in requirements.txt beside this script),
# where DuckDB publishes each extension as a wheel; the duckdb version must match @duckdb/node-api's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duckdb="$(node -e "import('@duckdb/node-api').then(async (m) => { const c = await (await m.DuckDBInstance.create(':memory:')).connect(); console.log((await c.runAndReadAll('SELECT version()')).getRows()[0][0]); })" 2>/dev/null)"
wanted="$(sed -n 's/^duckdb-extension-httpfs==\([0-9.]*\).*/v\1/p' "$here/requirements.txt")"
if [ "$duckdb" != "$wanted" ]; then
  echo "fetch.sh: @duckdb/node-api embeds DuckDB $duckdb, but requirements.txt pins httpfs for $wanted" >&2
  exit 1
fi
dest="$root/node_modules/.cache/sightline-duckdb-extensions"
target="$dest/$duckdb/linux_amd64/httpfs.duckdb_extension"
if [ ! -f "$target" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --require-hashes -r "$here/requirements.txt" -d "$work"
  python3 -m zipfile -e "$work"/duckdb_extension_httpfs-*.whl "$work/unpacked"
  mkdir -p "$(dirname "$target")"
  cp "$work/unpacked/duckdb_extension_httpfs/extensions/$duckdb/httpfs.duckdb_extension" "$target.partial"
  mv "$target.partial" "$target"
fi
echo "$dest"
