#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, installed where missing (npm runs this as `pretest`):
# moto and cfn-lint (pip), Debian's Chromium for the report's browser test, and Node 24 from the npm
# registry for the tests that run the bundles as Lambda's nodejs24.x would. Each is checked first, so a
# machine that has them spends a second here. What cannot be installed is said at once; the tests that
# need it then fail (none of them skips).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-moto.sh || echo "ERROR: without moto every test that talks to AWS will fail" >&2
if ! command -v cfn-lint >/dev/null; then
  echo "test-setup: cfn-lint is missing; pip install cfn-lint"
  python3 -m pip install --quiet cfn-lint || python3 -m pip install --quiet --break-system-packages cfn-lint ||
    echo "ERROR: pip could not install cfn-lint; the template tests will fail" >&2
fi
bash scripts/install-chromium.sh ||
  echo "ERROR: could not install chromium (root or sudo needed); test/browser will fail" >&2
bash scripts/node24.sh >/dev/null ||
  echo "ERROR: scripts/node24.sh could not install Node 24; the deploy tests will fail" >&2
exit 0
