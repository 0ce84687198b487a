#!/usr/bin/env bash
# moto, the local AWS API the demo and the tests run against, installed with pip where it is missing
# (npm runs this before `npm run demo`, and scripts/test-setup.sh before `npm test`).
set -uo pipefail
if python3 -c 'import moto.server' 2>/dev/null; then exit 0; fi
echo "moto is not importable; pip install 'moto[server]'"
python3 -m pip install --quiet 'moto[server]' ||
  python3 -m pip install --quiet --break-system-packages 'moto[server]' || {
  echo "ERROR: pip could not install moto; install it with: pip install 'moto[server]'" >&2
  exit 1
}
