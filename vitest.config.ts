import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // The SDK's Node-version warning is for fledge's users to never see (bin/fledge.js); here it would
    // only bury the test output. test/integration/cli-startup.test.ts removes it to check the CLI's own.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Each file gets its own process, so module-level SDK clients pick up each file's endpoint.
    pool: 'forks',
    // Most files wait on moto, child processes or timeouts rather than compute (the fault-injection files
    // above all): three at once on the 2-core CI machine instead of vitest's default of cores - 1.
    maxWorkers: 3,
    // The JSON report feeds the `N passed, N failed` line that .ci/run prints.
    reporters: ['default', 'json'],
    outputFile: { json: 'results/vitest.json' },
  },
});
