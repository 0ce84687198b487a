import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The fault-injection files first: each runs about six minutes, mostly waiting, and every other file
 * fits beside them in the third worker. Left to vitest's order (largest file first, and these files are
 * three lines long), they start last and the run takes half again as long.
 */
class FaultsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const faults = (f: TestSpecification) => f.moduleId.includes('/test/faults/');
    return [...sorted.filter(faults), ...sorted.filter((f) => !faults(f))];
  }
}

/**
 * Two projects: the unit layer (test/unit) is pure code and adapters against aws-sdk-client-mock, and
 * needs neither moto nor the CLI bundle; every other layer gets both from the global setup. So
 * `npx vitest run test/unit` (or `--project unit`) runs in seconds, and `npm test` still runs everything.
 */
const UNIT = 'test/unit/**/*.test.ts';

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: [UNIT] } },
      {
        extends: true,
        test: {
          name: 'aws',
          include: ['test/**/*.test.ts'],
          // The release fault matrix (three targets a lane, about 1,500 cases) runs on its own, by
          // `npm run test:faults:release`: within CI's 20 minutes it does not fit beside the rest.
          exclude: [
            UNIT,
            '**/node_modules/**',
            ...(process.env.FLEDGE_RELEASE_FAULTS ? [] : ['test/faults/release.test.ts']),
          ],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
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
    sequence: { sequencer: FaultsFirst },
    // The JSON report feeds the `N passed, N failed` line that .ci/run prints.
    reporters: ['default', 'json'],
    outputFile: { json: 'results/vitest.json' },
  },
});
