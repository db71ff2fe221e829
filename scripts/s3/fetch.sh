#!/usr/bin/env bash
# An S3-compatible server for the object-store tests: Versity Gateway (Apache-2.0) built from the Go
# module proxy at a pinned version into node_modules/.cache/sightline-go. Its posix backend keeps
# objects as files, it speaks TLS with our own CA, enforces per-user bucket policies (403 outside
# them) and honours If-None-Match/If-Match (412), which the Iceberg commit relies on.
set -euo pipefail
cd "$(dirname "$0")/../.."
# A second, independent S3 implementation for the end-to-end test: moto's server (PyPI), pinned
# with everything it pulls in (scripts/s3/moto-requirements.txt), in its own venv.
VENV=node_modules/.cache/sightline-moto/venv
if ! cmp -s scripts/s3/moto-requirements.txt "$VENV/.requirements" 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/s3/moto-requirements.txt
  cp scripts/s3/moto-requirements.txt "$VENV/.requirements"
  echo "moto server in $VENV"
fi

VERSION=v1.8.0
OUT=node_modules/.cache/sightline-go
BIN="$OUT/versitygw-$VERSION"
if [ -x "$BIN" ]; then exit 0; fi
if ! command -v go >/dev/null; then
  echo "go is not installed: the object-store tests need it to build versitygw" >&2
  exit 1
fi
mkdir -p "$OUT/build-versitygw"
GOBIN="$(pwd)/$OUT/build-versitygw" go install "github.com/versity/versitygw/cmd/versitygw@$VERSION"
mv "$OUT/build-versitygw/versitygw" "$BIN"
rm -rf "$OUT/build-versitygw"
echo "versitygw $VERSION at $BIN"
