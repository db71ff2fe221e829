#!/usr/bin/env bash
# An independent reader of the Iceberg tables Sightline writes, for the lakehouse tests: pyiceberg
# (Apache Iceberg's Python implementation) with pyarrow and fastavro, pinned with everything they
# pull in (scripts/lakehouse/requirements.txt), in its own venv, so a test that reads our metadata
# and manifests back does not share our code's mistakes. Reinstalled only when requirements.txt
# changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=node_modules/.cache/sightline-lakehouse/venv
if ! cmp -s scripts/lakehouse/requirements.txt "$VENV/.requirements" 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/lakehouse/requirements.txt
  cp scripts/lakehouse/requirements.txt "$VENV/.requirements"
  echo "pyiceberg in $VENV"
fi
