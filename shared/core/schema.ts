/**
 * The console contract: what a person (or a pipeline) passes to start a rollout. The JSON Schema in
 * docs/schema/ is generated from these definitions (`npm run schema`), and a test keeps them in step.
 *
 * Written with `zod/mini`, not classic `zod`: the Plan function bundles this file, and mini is
 * tree-shakable and cheaper to build at cold start. Classic zod loads its English messages by itself;
 * mini does not, so they are loaded here (the same ones: users see the same messages).
 */

import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { TARGET_SCHEMAS } from '../targets/schemas';
import { described } from './described';
import { finerThanRecorded, PREDEFINED_STRATEGIES, resolveStrategy, tooFine } from './strategy';

z.config(en());

/** The default promotion guarantee: a canary 4x as bad as the baseline, and 0.5 points worse. */
export const DEFAULT_MAX_REGRESSION = { ratio: 4, floor: 0.005 } as const;

/** One branch per target kind: shared/targets/schemas.ts lists them. */
export const TargetSchema = z.discriminatedUnion('type', [...TARGET_SCHEMAS]);
const CustomStrategySchema = z.strictObject({
  steps: z
    .array(
      z.strictObject({
        weight: described(
          z.number().check(
            z.gt(0),
            z.lt(100),
            z.superRefine((weight, ctx) => {
              if (finerThanRecorded(weight)) ctx.addIssue({ code: 'custom', message: tooFine(weight) });
            }),
          ),
          'Percent of traffic on the canary during this step, with at most 3 decimals.',
        ),
        bakeMinutes: described(
          z.number().check(z.gt(0), z.lte(2880)),
          'How long the step lasts before it is judged.',
        ),
        approve: described(
          z.optional(z.boolean()),
          'After this step, wait for `fledge approve` (or `fledge reject`) before going on.',
        ),
      }),
    )
    .check(z.minLength(1), z.maxLength(100)),
});

const AdaptiveStrategySchema = z.strictObject({
  adaptive: z.strictObject({
    initialWeight: described(
      z.optional(z.number()),
      'Percent of traffic on the canary at first (default 1).',
    ),
    maxStepWeight: described(
      z.optional(z.number()),
      'The most percentage points one step adds (default 50; a step at most doubles the weight).',
    ),
    minBakeMinutes: described(z.optional(z.number()), 'The shortest time at a weight (default 1).'),
    minRequestsPerStep: described(
      z.optional(z.number()),
      'Canary requests read at a weight before it is raised (default 50).',
    ),
  }),
});

export const StrategySchema = z
  .union([
    described(
      z.string(),
      `A CodeDeploy configuration name: ${PREDEFINED_STRATEGIES.join(', ')}; or Adaptive.`,
    ),
    CustomStrategySchema,
    AdaptiveStrategySchema,
  ])
  .check(
    z.superRefine((strategy, ctx) => {
      try {
        resolveStrategy(strategy);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  );

const DimensionsSchema = z
  .record(
    z.string().check(z.minLength(1), z.maxLength(255)),
    z.string().check(z.minLength(1), z.maxLength(1024)),
  )
  .check(z.refine((d) => Object.keys(d).length <= 30, 'at most 30 dimensions'));

/** A CloudWatch metric measured on each side: same namespace and name, each side's own dimensions. */
const metricPairShape = {
  namespace: z.string().check(z.minLength(1), z.maxLength(255)),
  metricName: z.string().check(z.minLength(1), z.maxLength(255)),
  stable: described(DimensionsSchema, 'Dimensions that select the stable side.'),
  canary: described(DimensionsSchema, 'Dimensions that select the canary side.'),
};
const MetricPairSchema = z.strictObject(metricPairShape);

/** The error metric: as above, and whether a minute without errors has no datapoint at all. */
const ErrorMetricPairSchema = z.strictObject({
  ...metricPairShape,
  publishedOnlyWhenNonZero: described(
    z._default(z.boolean(), false),
    'The metric has no datapoint in a minute without errors (e.g. ALB HTTPCode_Target_5XX_Count), so a ' +
      'missing datapoint counts as zero errors. Otherwise a side that served requests with no error ' +
      'datapoint cannot be judged (inconclusive).',
  ),
});

/** What "at least maxRegression worse" means for the promotion guarantee. */
const MaxRegressionSchema = z.strictObject({
  ratio: described(
    z._default(z.number().check(z.gt(1), z.lte(100)), DEFAULT_MAX_REGRESSION.ratio),
    'A canary failing this many times as often as the baseline is a regression that promotion guards against. A smaller ratio needs more canary traffic before promotion.',
  ),
  floor: described(
    z._default(z.number().check(z.gt(0), z.lt(1)), DEFAULT_MAX_REGRESSION.floor),
    'The regression must also be at least this much in absolute terms, as a fraction (0.005 = 0.5 points): a new failure mode against an error-free baseline counts, and an error-free service can still be promoted.',
  ),
});

const LatencySchema = described(
  z.strictObject({
    namespace: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
    metricName: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
    stable: z.optional(DimensionsSchema),
    canary: z.optional(DimensionsSchema),
    statistics: described(
      z._default(
        z
          .array(
            z
              .string()
              .check(
                z.regex(/^p(\d{1,2}(\.\d{1,3})?)$/, 'must be a percentile statistic such as "p90" or "p99"'),
              ),
          )
          .check(z.minLength(1), z.maxLength(4)),
        ['p90', 'p99'],
      ),
      "The percentiles compared. Each is fixed at Plan from the stable side's last hour; the canary then " +
        'must not have more requests above that value × (1 + tolerance) + minIncrease than the baseline has above it.',
    ),
    tolerance: described(
      z._default(z.number().check(z.gte(0), z.lte(10)), 0.2),
      'How much slower, relatively, the canary percentile may be (0.2 = 20%).',
    ),
    minIncrease: described(
      z._default(z.number().check(z.gte(0)), 0),
      "An absolute slack added to the canary's threshold, in the metric's unit (e.g. 5 ms).",
    ),
  }),
  'Compare latency percentiles of both sides, as counts of slow requests (CloudWatch TC). For Lambda, defaults to AWS/Lambda Duration.',
);

export const AnalysisSchema = z
  .strictObject({
    alarms: described(
      z._default(z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(100)), []),
      'CloudWatch alarm names; any of them in ALARM rolls the canary back.',
    ),
    maxErrorRate: described(
      z.optional(z.number().check(z.gt(0), z.lte(1))),
      'Absolute ceiling on the canary error rate, as a fraction (0.05 = 5%).',
    ),
    minInvocations: described(
      z._default(z.number().check(z.int(), z.gte(1)), 50),
      'Canary requests needed before a step can pass.',
    ),
    checkIntervalMinutes: described(
      z._default(z.number().check(z.gt(0), z.lte(60)), 1),
      'How often to check, inside bake steps too; a failing check rolls back at once.',
    ),
    metricLagMinutes: described(
      z.optional(z.number().check(z.int(), z.gte(0), z.lte(15))),
      "Windows end this many minutes before now. Default: 1, or for a Lambda alias the longer timeout of its two versions in minutes, as Lambda publishes a request's metrics when it ends, stamped with the minute it started. With 1, the newest minute read is often still partly reported; the test stays valid because a request and its error are reported together.",
    ),
    alpha: described(
      z._default(z.number().check(z.gt(0), z.lte(0.2)), 0.01),
      'False-rollback budget for the whole rollout, at any number of checks, shared between the error and latency tests.',
    ),
    beta: described(
      z._default(z.number().check(z.gt(0), z.lte(0.2)), 0.01),
      'Chance of promoting a canary that is at least maxRegression worse, at any traffic level.',
    ),
    maxRegression: described(
      z.prefault(MaxRegressionSchema, {}),
      'Promotion needs evidence that the canary is not this much worse than the baseline.',
    ),
    historyEvidence: described(
      z.optional(z.boolean()),
      "Also count, toward promotion, the canary's errors against the stable version's error rate over its last hour " +
        '(read at Plan): far less canary traffic shows a healthy canary is not maxRegression worse, on the assumption ' +
        "that the stable version fails as often during the rollout as in that hour (fledge drops it when the baseline's " +
        'own minutes show otherwise). Default: true for the Adaptive strategy, false for fixed schedules.',
    ),
    tolerance: described(
      z._default(z.number().check(z.gte(0), z.lte(10)), 0),
      'How much worse, relatively, the canary error rate may be before it is a regression (0.1 = 10%).',
    ),
    requests: described(
      z.optional(MetricPairSchema),
      'Requests per side (Sum per minute). With errors, replaces the default AWS/Lambda metrics.',
    ),
    errors: described(z.optional(ErrorMetricPairSchema), 'Errors per side (Sum per minute).'),
    latency: z.optional(LatencySchema),
    healthChecks: described(
      z._default(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(20)), []),
      'Route 53 health check ids; any unhealthy one rolls the canary back.',
    ),
    allAtOnceBakeMinutes: described(
      z._default(z.number().check(z.gt(0), z.lte(1440)), 5),
      'With AllAtOnce and alarms or health checks: how long they are watched after all traffic moved, before promotion; any of them firing rolls back.',
    ),
    minExpectedErrors: described(
      z.optional(
        z.never({
          error:
            'was replaced by analysis.maxRegression: promotion now needs evidence that the canary is not ' +
            `maxRegression worse than the baseline (default {"ratio": ${DEFAULT_MAX_REGRESSION.ratio}, "floor": ${DEFAULT_MAX_REGRESSION.floor}}), ` +
            'which bounds the chance of promoting such a canary by analysis.beta. Remove minExpectedErrors; to ' +
            'ask for more evidence, lower maxRegression.ratio',
        }),
      ),
      'Removed: use maxRegression.',
    ),
    insufficientData: z.prefault(
      z.strictObject({
        action: described(
          z._default(z.enum(['rollback', 'promote']), 'rollback'),
          'What to do when a step still lacks data after maxExtraMinutes.',
        ),
        maxExtraMinutes: described(
          z.optional(z.number().check(z.gte(0), z.lte(1440))),
          'How long a step may be held past its bake time waiting for enough data, or for the evidence a promotion needs. ' +
            "Default: 30 minutes, and an hour more for each unit by which the stable version's error counts varied more " +
            'than Poisson counts would over its last hour (at a 90% upper bound; twice as much: 90 minutes), up to 240, ' +
            'as the evidence takes that much longer.',
        ),
      }),
      {},
    ),
  })
  .check(
    z.refine((a) => (a.requests === undefined) === (a.errors === undefined), {
      message: 'analysis.requests and analysis.errors go together: set both or neither',
      path: ['errors'],
    }),
    z.refine((a) => a.maxRegression.ratio > 1 + a.tolerance, {
      message:
        'must be above 1 + analysis.tolerance: a canary within the tolerance cannot also count as a regression',
      path: ['maxRegression', 'ratio'],
    }),
  );

const FunctionRefSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(170),
    z.regex(/^[A-Za-z0-9_:.$-]+$/, 'must be a Lambda function name or ARN'),
  );

export const HooksSchema = z.strictObject({
  beforeAllowTraffic: described(
    z.optional(FunctionRefSchema),
    'Invoked before any traffic moves; a failure or {"status":"Failed"} ends the run with nothing changed.',
  ),
  afterAllowTraffic: described(
    z.optional(FunctionRefSchema),
    'Invoked after promotion; a failure or {"status":"Failed"} rolls the release back.',
  ),
});

export const GatesSchema = described(
  z.strictObject({
    beforePromotion: described(
      z._default(z.boolean(), false),
      'Wait for `fledge approve` before promoting, once the last step has passed.',
    ),
    approvalTimeoutMinutes: described(
      z._default(z.number().check(z.gt(0), z.lte(1440)), 60),
      'How long a gate waits for approval; checks continue meanwhile.',
    ),
    onApprovalTimeout: described(
      z._default(z.enum(['rollback', 'continue']), 'rollback'),
      'What happens when nobody approves in time.',
    ),
    maxPauseMinutes: described(
      z._default(z.number().check(z.gt(0), z.lte(1440)), 60),
      'How long `fledge pause` may hold a rollout, all its pauses together, before it rolls back.',
    ),
  }),
  'Approval gates and operator pauses (docs/OPERATIONS.md).',
);

export const DeployInputSchema = z.strictObject({
  target: TargetSchema,
  strategy: z._default(StrategySchema, 'Canary10Percent5Minutes'),
  analysis: z.prefault(AnalysisSchema, {}),
  hooks: z.prefault(HooksSchema, {}),
  gates: z.prefault(GatesSchema, {}),
});

/**
 * A target of a release with the metrics it is judged on, for a kind without default metrics (Route 53):
 * as analysis.requests, errors and latency of a rollout, checked as a rollout's when the release is.
 */
const ReleaseTargetSchema = z.strictObject({
  target: TargetSchema,
  analysis: described(
    z.strictObject({
      requests: z.optional(z.unknown()),
      errors: z.optional(z.unknown()),
      latency: z.optional(z.unknown()),
    }),
    "This target's metrics, as a rollout's analysis.requests, errors and latency.",
  ),
});

/**
 * A release: several targets (any mix of kinds) moved as one, with one schedule, one analysis (each
 * target judged against its own baseline, at alpha / n and beta / n: shared/core/release.ts), one set of
 * hooks and gates. docs/RELEASES.md.
 */
export const ReleaseInputSchema = z.strictObject({
  release: described(
    z.optional(
      z
        .string()
        .check(
          z.regex(
            /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
            'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
          ),
        ),
    ),
    'A name for the release, which the operator commands accept (fledge status|pause|abort|promote|approve <release>).',
  ),
  targets: described(
    z.array(z.union([TargetSchema, ReleaseTargetSchema])).check(z.minLength(2), z.maxLength(20)),
    "The release's targets, 2 to 20, any mix of types, each with its own version or equivalent. All move, are judged and end together.",
  ),
  strategy: z._default(StrategySchema, 'Canary10Percent5Minutes'),
  analysis: z.prefault(AnalysisSchema, {}),
  hooks: z.prefault(HooksSchema, {}),
  gates: z.prefault(GatesSchema, {}),
});

export type ReleaseInput = z.infer<typeof ReleaseInputSchema>;
export type ReleaseTarget = ReleaseInput['targets'][number];
export type DeployInput = z.infer<typeof DeployInputSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type { ElbWeightedTarget } from '../targets/elb-weighted/schema';
export type { LambdaAliasTarget } from '../targets/lambda-alias/schema';
export type { Route53WeightedTarget } from '../targets/route53-weighted/schema';
/** The analysis as given: metricLagMinutes and insufficientData.maxExtraMinutes may be left to Plan. */
export type AnalysisInput = z.infer<typeof AnalysisSchema>;
/** The analysis as Plan fixes it, in the rollout state: every default resolved. */
export type AnalysisConfig = AnalysisInput & {
  metricLagMinutes: number;
  insufficientData: { maxExtraMinutes: number };
  historyEvidence: boolean;
};

/** metricLagMinutes when the input leaves it unset and the target's requests end within a minute. */
export const DEFAULT_METRIC_LAG_MINUTES = 1;

/** The analysis as given, with the metric lag and the hold for evidence Plan fixed for it. */
export function resolvedAnalysis(
  analysis: AnalysisInput,
  fixed: { metricLagMinutes: number; maxExtraMinutes: number; adaptive: boolean },
): AnalysisConfig {
  return {
    ...analysis,
    historyEvidence: analysis.historyEvidence ?? fixed.adaptive,
    metricLagMinutes: fixed.metricLagMinutes,
    insufficientData: { ...analysis.insufficientData, maxExtraMinutes: fixed.maxExtraMinutes },
  };
}
export type HooksConfig = z.infer<typeof HooksSchema>;
export type GatesConfig = z.infer<typeof GatesSchema>;
export type MetricPair = z.infer<typeof MetricPairSchema>;
export type LatencyConfig = z.infer<typeof LatencySchema>;

/** The JSON Schema published for the console input: a rollout's (`target`) or a release's (`targets`). */
export function deployInputJsonSchema(): Record<string, unknown> {
  const either = z.union([DeployInputSchema, ReleaseInputSchema]);
  return {
    ...z.toJSONSchema(either, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://fledge.dev/schema/deploy-input.schema.json',
    title: 'fledge rollout or release input',
  };
}

/** Where in the input an issue is, as a person writes it: `strategy.steps[0].weight`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
      .join('') || '(input)'
  );
}

/**
 * Each schema issue as "field: problem". A value that fits no branch of a union is described by the
 * branch it came closest to (the deepest issue), so `{"steps":[{"weight":200}]}` names the weight, not
 * only "strategy".
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const rootTypes = issue.errors.every(
        (branch) => branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0,
      );
      if (rootTypes) {
        const expected = issue.errors
          .map((branch) => (branch[0] as { expected?: string }).expected)
          .join(' or ');
        return [`${fieldPath(path)}: expected ${expected}`];
      }
      const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(...branch.map((i) => i.path.length));
      const closest = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
      return describeIssues(closest, path);
    }
    return [`${fieldPath(path)}: ${issue.message}`];
  });
}
