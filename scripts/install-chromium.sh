#!/usr/bin/env bash
# Installs Debian's Chromium and two font families for the report's browser test (test/browser/).
# scripts/test-setup.sh (npm test's pretest) calls it; a developer can too. Nothing is downloaded but
# Debian packages: Playwright's own browser download does not work on a closed network, and the test
# drives /usr/bin/chromium instead.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi 'dejavu\|liberation'; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation >/dev/null
echo "chromium: $(/usr/bin/chromium --version)"
