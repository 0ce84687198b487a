/**
 * The console contract: what a person (or a pipeline) passes to start a rollout. The JSON Schema in
 * docs/schema/ is generated from these definitions (`npm run schema`), and a test keeps them in step.
 */
import * as z from 'zod';
import { PREDEFINED_STRATEGIES, resolveStrategy } from './strategy';

/** The default promotion guarantee: a canary 4x as bad as the baseline, and 0.5 points worse. */
export const DEFAULT_MAX_REGRESSION = { ratio: 4, floor: 0.005 } as const;

export const LambdaAliasTargetSchema = z
  .object({
    type: z.literal('lambda-alias'),
    functionName: z.string().min(1).max(140).describe('Function name, or its ARN without a qualifier.'),
    alias: z
      .string()
      .regex(
        /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/,
        'must be an alias name such as "live" (letters, digits, - and _)',
      )
      .describe('The alias whose traffic moves; its current FunctionVersion is the baseline.'),
    version: z
      .string()
      .regex(/^\d+$/, 'must be a published version number such as "7"; $LATEST cannot take weighted traffic')
      .describe('The new published version to release.'),
  })
  .strict();

const AliasValueSchema = z
  .object({
    dnsName: z.string().min(1).max(1024),
    hostedZoneId: z.string().min(1).max(32),
    evaluateTargetHealth: z.boolean().default(false),
  })
  .strict();

/** What each record type's values must be. */
const RECORD_VALUES = {
  A: { schema: z.ipv4(), what: 'an IPv4 address' },
  AAAA: { schema: z.ipv6(), what: 'an IPv6 address' },
  CNAME: {
    schema: z
      .string()
      .regex(
        /^(?=.{1,253}\.?$)([A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/,
      ),
    what: 'a domain name',
  },
} as const;

export const Route53WeightedTargetSchema = z
  .object({
    type: z.literal('route53-weighted'),
    hostedZoneId: z
      .string()
      .regex(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, 'must be a hosted zone id such as "Z0123456789ABCDEFGHIJ"')
      .describe('The hosted zone that holds both weighted records.'),
    recordName: z.string().min(1).max(255).describe('The records\' name, e.g. "app.example.com".'),
    recordType: z.enum(['A', 'AAAA', 'CNAME']).describe("The records' type; alias A/AAAA records work too."),
    stable: z.string().min(1).max(128).describe('SetIdentifier of the record pointing at the stable fleet.'),
    canary: z.string().min(1).max(128).describe('SetIdentifier of the record pointing at the new fleet.'),
    canaryValue: z
      .union([z.array(z.string().min(1).max(4000)).min(1).max(400), AliasValueSchema])
      .optional()
      .describe(
        'The new fleet: record values, or an alias target. Written at weight 0 before traffic moves.',
      ),
    finalize: z
      .boolean()
      .default(true)
      .describe('After promotion, copy the canary values into the stable record and reset the canary to 0.'),
    ttlMarginSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe('A bake step must last at least the record TTL plus this margin.'),
    stretchShortSteps: z
      .boolean()
      .default(false)
      .describe('Lengthen steps shorter than TTL + margin instead of refusing the plan.'),
  })
  .strict()
  .refine((t) => t.stable !== t.canary, {
    message: 'stable and canary must be different SetIdentifiers',
    path: ['canary'],
  })
  .superRefine((t, ctx) => {
    // Route 53 refuses such values only when the batch is sent; say so before anything is written.
    if (!Array.isArray(t.canaryValue)) return;
    const valid = RECORD_VALUES[t.recordType];
    t.canaryValue.forEach((value, i) => {
      if (!valid.schema.safeParse(value).success) {
        ctx.addIssue({
          code: 'custom',
          message: `'${value}' is not ${valid.what} (record type ${t.recordType})`,
          path: ['canaryValue', i],
        });
      }
    });
  });

export const TargetSchema = z.discriminatedUnion('type', [
  LambdaAliasTargetSchema,
  Route53WeightedTargetSchema,
]);

const CustomStrategySchema = z
  .object({
    steps: z
      .array(
        z
          .object({
            weight: z.number().gt(0).lt(100).describe('Percent of traffic on the canary during this step.'),
            bakeMinutes: z.number().gt(0).max(2880).describe('How long the step lasts before it is judged.'),
            approve: z
              .boolean()
              .optional()
              .describe('After this step, wait for `fledge approve` (or `fledge reject`) before going on.'),
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict();

export const StrategySchema = z
  .union([
    z.string().describe(`A CodeDeploy configuration name: ${PREDEFINED_STRATEGIES.join(', ')}.`),
    CustomStrategySchema,
  ])
  .superRefine((strategy, ctx) => {
    try {
      resolveStrategy(strategy);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const DimensionsSchema = z
  .record(z.string().min(1).max(255), z.string().min(1).max(1024))
  .refine((d) => Object.keys(d).length <= 30, 'at most 30 dimensions');

/** A CloudWatch metric measured on each side: same namespace and name, each side's own dimensions. */
const metricPairShape = {
  namespace: z.string().min(1).max(255),
  metricName: z.string().min(1).max(255),
  stable: DimensionsSchema.describe('Dimensions that select the stable side.'),
  canary: DimensionsSchema.describe('Dimensions that select the canary side.'),
};
const MetricPairSchema = z.object(metricPairShape).strict();

/** The error metric: as above, and whether a minute without errors has no datapoint at all. */
const ErrorMetricPairSchema = z
  .object({
    ...metricPairShape,
    publishedOnlyWhenNonZero: z
      .boolean()
      .default(false)
      .describe(
        'The metric has no datapoint in a minute without errors (e.g. ALB HTTPCode_Target_5XX_Count), so a ' +
          'missing datapoint counts as zero errors. Otherwise a side that served requests with no error ' +
          'datapoint cannot be judged (inconclusive).',
      ),
  })
  .strict();

/** What "at least maxRegression worse" means for the promotion guarantee. */
const MaxRegressionSchema = z
  .object({
    ratio: z
      .number()
      .gt(1)
      .max(100)
      .default(DEFAULT_MAX_REGRESSION.ratio)
      .describe(
        'A canary failing this many times as often as the baseline is a regression that promotion guards against. A smaller ratio needs more canary traffic before promotion.',
      ),
    floor: z
      .number()
      .gt(0)
      .lt(1)
      .default(DEFAULT_MAX_REGRESSION.floor)
      .describe(
        'The regression must also be at least this much in absolute terms, as a fraction (0.005 = 0.5 points): a new failure mode against an error-free baseline counts, and an error-free service can still be promoted.',
      ),
  })
  .strict();

const LatencySchema = z
  .object({
    namespace: z.string().min(1).max(255).optional(),
    metricName: z.string().min(1).max(255).optional(),
    stable: DimensionsSchema.optional(),
    canary: DimensionsSchema.optional(),
    statistics: z
      .array(
        z.string().regex(/^p(\d{1,2}(\.\d{1,3})?)$/, 'must be a percentile statistic such as "p90" or "p99"'),
      )
      .min(1)
      .max(4)
      .default(['p90', 'p99'])
      .describe(
        "The percentiles compared. Each is fixed at Plan from the stable side's last hour; the canary then " +
          'must not have more requests above that value × (1 + tolerance) + minIncrease than the baseline has above it.',
      ),
    tolerance: z
      .number()
      .min(0)
      .max(10)
      .default(0.2)
      .describe('How much slower, relatively, the canary percentile may be (0.2 = 20%).'),
    minIncrease: z
      .number()
      .min(0)
      .default(0)
      .describe("An absolute slack added to the canary's threshold, in the metric's unit (e.g. 5 ms)."),
  })
  .strict()
  .describe(
    'Compare latency percentiles of both sides, as counts of slow requests (CloudWatch TC). For Lambda, defaults to AWS/Lambda Duration.',
  );

export const AnalysisSchema = z
  .object({
    alarms: z
      .array(z.string().min(1).max(255))
      .max(100)
      .default([])
      .describe('CloudWatch alarm names; any of them in ALARM rolls the canary back.'),
    maxErrorRate: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('Absolute ceiling on the canary error rate, as a fraction (0.05 = 5%).'),
    minInvocations: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe('Canary requests needed before a step can pass.'),
    checkIntervalMinutes: z
      .number()
      .gt(0)
      .max(60)
      .default(1)
      .describe('How often to check, inside bake steps too; a failing check rolls back at once.'),
    metricLagMinutes: z
      .number()
      .int()
      .min(0)
      .max(15)
      .default(1)
      .describe(
        'Windows end this many minutes before now. With 1, the newest minute read is often still partly reported; the test stays valid because a request and its error are reported together.',
      ),
    alpha: z
      .number()
      .gt(0)
      .max(0.2)
      .default(0.01)
      .describe(
        'False-rollback budget for the whole rollout, at any number of checks, shared between the error and latency tests.',
      ),
    beta: z
      .number()
      .gt(0)
      .max(0.2)
      .default(0.01)
      .describe('Chance of promoting a canary that is at least maxRegression worse, at any traffic level.'),
    maxRegression: MaxRegressionSchema.prefault({}).describe(
      'Promotion needs evidence that the canary is not this much worse than the baseline.',
    ),
    tolerance: z
      .number()
      .min(0)
      .max(10)
      .default(0)
      .describe(
        'How much worse, relatively, the canary error rate may be before it is a regression (0.1 = 10%).',
      ),
    requests: MetricPairSchema.optional().describe(
      'Requests per side (Sum per minute). With errors, replaces the default AWS/Lambda metrics.',
    ),
    errors: ErrorMetricPairSchema.optional().describe('Errors per side (Sum per minute).'),
    latency: LatencySchema.optional(),
    healthChecks: z
      .array(z.string().min(1).max(64))
      .max(20)
      .default([])
      .describe('Route 53 health check ids; any unhealthy one rolls the canary back.'),
    allAtOnceBakeMinutes: z
      .number()
      .gt(0)
      .max(1440)
      .default(5)
      .describe(
        'With AllAtOnce and alarms or health checks: how long they are watched after all traffic moved, before promotion; any of them firing rolls back.',
      ),
    minExpectedErrors: z
      .never({
        error:
          'was replaced by analysis.maxRegression: promotion now needs evidence that the canary is not ' +
          `maxRegression worse than the baseline (default {"ratio": ${DEFAULT_MAX_REGRESSION.ratio}, "floor": ${DEFAULT_MAX_REGRESSION.floor}}), ` +
          'which bounds the chance of promoting such a canary by analysis.beta. Remove minExpectedErrors; to ' +
          'ask for more evidence, lower maxRegression.ratio',
      })
      .optional()
      .describe('Removed: use maxRegression.'),
    insufficientData: z
      .object({
        action: z
          .enum(['rollback', 'promote'])
          .default('rollback')
          .describe('What to do when a step still lacks data after maxExtraMinutes.'),
        maxExtraMinutes: z
          .number()
          .min(0)
          .max(1440)
          .optional()
          .describe(
            'How long a step may be held past its bake time waiting for enough data, or for the evidence a promotion needs. ' +
              "Default: 30 minutes, stretched by how much more the stable version's error counts varied over its last hour " +
              'than Poisson counts would (3 times as much: 90 minutes), up to 240, as the evidence takes that much longer.',
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((a) => (a.requests === undefined) === (a.errors === undefined), {
    message: 'analysis.requests and analysis.errors go together: set both or neither',
    path: ['errors'],
  })
  .refine((a) => a.maxRegression.ratio > 1 + a.tolerance, {
    message:
      'must be above 1 + analysis.tolerance: a canary within the tolerance cannot also count as a regression',
    path: ['maxRegression', 'ratio'],
  });

const FunctionRefSchema = z
  .string()
  .min(1)
  .max(170)
  .regex(/^[A-Za-z0-9_:.$-]+$/, 'must be a Lambda function name or ARN');

export const HooksSchema = z
  .object({
    beforeAllowTraffic: FunctionRefSchema.optional().describe(
      'Invoked before any traffic moves; a failure or {"status":"Failed"} ends the run with nothing changed.',
    ),
    afterAllowTraffic: FunctionRefSchema.optional().describe(
      'Invoked after promotion; a failure or {"status":"Failed"} rolls the release back.',
    ),
  })
  .strict();

export const GatesSchema = z
  .object({
    beforePromotion: z
      .boolean()
      .default(false)
      .describe('Wait for `fledge approve` before promoting, once the last step has passed.'),
    approvalTimeoutMinutes: z
      .number()
      .gt(0)
      .max(1440)
      .default(60)
      .describe('How long a gate waits for approval; checks continue meanwhile.'),
    onApprovalTimeout: z
      .enum(['rollback', 'continue'])
      .default('rollback')
      .describe('What happens when nobody approves in time.'),
    maxPauseMinutes: z
      .number()
      .gt(0)
      .max(1440)
      .default(60)
      .describe('How long `fledge pause` may hold a rollout before it rolls back.'),
  })
  .strict()
  .describe('Approval gates and operator pauses (docs/OPERATIONS.md).');

export const DeployInputSchema = z
  .object({
    target: TargetSchema,
    strategy: StrategySchema.default('Canary10Percent5Minutes'),
    analysis: AnalysisSchema.prefault({}),
    hooks: HooksSchema.prefault({}),
    gates: GatesSchema.prefault({}),
  })
  .strict();

export type DeployInput = z.infer<typeof DeployInputSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type LambdaAliasTarget = z.infer<typeof LambdaAliasTargetSchema>;
export type Route53WeightedTarget = z.infer<typeof Route53WeightedTargetSchema>;
/** The analysis as given: insufficientData.maxExtraMinutes may be left to Plan. */
export type AnalysisInput = z.infer<typeof AnalysisSchema>;
/** The analysis as Plan fixes it, in the rollout state: every default resolved. */
export type AnalysisConfig = AnalysisInput & {
  insufficientData: { maxExtraMinutes: number };
};
export type HooksConfig = z.infer<typeof HooksSchema>;
export type GatesConfig = z.infer<typeof GatesSchema>;
export type MetricPair = z.infer<typeof MetricPairSchema>;
export type LatencyConfig = z.infer<typeof LatencySchema>;

/** The JSON Schema published for the console input. */
export function deployInputJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(DeployInputSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://fledge.dev/schema/deploy-input.schema.json',
    title: 'fledge rollout input',
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
