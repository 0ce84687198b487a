/**
 * The contract of fledge's lifecycle events (EventBridge, source `fledge`): one schema per detail-type.
 * docs/EVENTS.md shows an example of each, and a test holds both the examples and the events a real run
 * publishes to these schemas. The functions do not import this file (they only build the events), so
 * it costs their bundles nothing.
 */
import * as z from 'zod';
import { TargetSchema } from './schema';

const Severity = z.enum(['high', 'medium', 'low']);

/** One readable sentence; never a double quote, backslash or line break (see event-summary.ts). */
const Summary = z
  .string()
  .min(1)
  .max(600)
  .regex(/^[^"\\\n\r]*$/, 'must hold no double quote, backslash or line break');

const ArmSummary = z.object({ requests: z.number(), errors: z.number(), errorRate: z.number().nullable() });

/** The verdict's evidence, as docs/ANALYSIS.md describes it; the analysis may add fields. */
const Evidence = z.looseObject({
  window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  minutes: z.number().int(),
  canary: ArmSummary,
  baseline: ArmSummary,
  test: z.looseObject({ eValue: z.number(), threshold: z.number() }).optional(),
  alarmsInAlarm: z.array(z.string()),
});

const Verdict = z.looseObject({
  verdict: z.enum(['pass', 'fail', 'inconclusive', 'error']),
  reason: z.string(),
  evidence: Evidence.optional(),
});

/** Set on an end a person forced (shared/core/operator.ts, Forced): who, why, and by which command. */
const Forced = z
  .object({
    action: z.enum(['promote', 'rollback']),
    by: z.string(),
    reason: z.string(),
    command: z.enum(['abort', 'promote', 'approve', 'reject', 'pause', 'gate-timeout']),
    skipAnalysis: z.literal(true).optional(),
  })
  .strict();

/** The new version's provisioned concurrency at the end (shared/core/provisioned.ts), with its cost. */
const Provisioned = z
  .object({
    version: z.string(),
    count: z.number().int().min(1),
    basis: z.string(),
    status: z.enum(['planned', 'IN_PROGRESS', 'READY', 'FAILED', 'removed', 'left']),
    reason: z.string().optional(),
    requestedAt: z.iso.datetime().optional(),
    readyAt: z.iso.datetime().optional(),
    endedAt: z.iso.datetime().optional(),
    hours: z.number().min(0),
  })
  .strict();

/** The fields every event the functions publish carries. */
const Common = {
  executionId: z.string().min(1),
  target: TargetSchema,
  baseline: z.string(),
  canary: z.string(),
  strategy: z.unknown(),
  trigger: z.object({
    source: z.enum(['console', 'local', 'deploy-event', 'lambda-publish']),
    eventId: z.string().optional(),
  }),
  // Set on every event of a rollout run in-process by `fledge run`: its executionId is made up.
  local: z.literal(true).optional(),
  // Set on a release's events (docs/RELEASES.md): its name and every target with its change; `target`,
  // `baseline` and `canary` are then its first target's and the release's sides.
  release: z
    .object({
      name: z.string().optional(),
      targets: z.array(z.object({ target: TargetSchema, label: z.string() }).strict()).min(2),
      // On Canary Promoted and Canary Rolled Back: each target's provisioned concurrency, by its name.
      provisioned: z.array(Provisioned.extend({ target: z.string() })).optional(),
    })
    .strict()
    .optional(),
  severity: Severity,
  summary: Summary,
};

/** The fields of the events the state machine builds itself (its putEvents states), from the rollout state. */
const FromStateMachine = {
  executionId: Common.executionId,
  target: TargetSchema,
  baseline: z.string(),
  canary: z.string(),
  reason: z.string(),
  error: z.object({ Error: z.string(), Cause: z.string() }),
  local: Common.local,
  severity: Severity,
  summary: Summary,
};

export const LifecycleEventSchemas = {
  'Canary Started': z
    .object({
      ...Common,
      steps: z.array(z.object({ weight: z.number(), bakeSeconds: z.number() })),
      // How long a healthy rollout should take at last hour's traffic, and why (docs/ANALYSIS.md).
      forecast: z
        .object({
          minutes: z.number().nullable(),
          scheduleMinutes: z.number(),
          canaryRequests: z.number().nullable(),
          reason: z.string(),
        })
        .strict(),
    })
    .strict(),
  'Canary Weight Changed': z
    .object({
      ...Common,
      step: z.number().int().min(1),
      steps: z.number().int().min(1),
      weight: z.number().min(0).max(100),
      previousWeight: z.number().min(0).max(100),
    })
    .strict(),
  'Canary Promoted': z
    .object({
      ...Common,
      reason: z.string(),
      verdict: Verdict.optional(),
      forced: Forced.optional(),
      provisioned: Provisioned.optional(),
    })
    .strict(),
  'Canary Rolled Back': z
    .object({
      ...Common,
      reason: z.string(),
      weightBefore: z.number().min(0).max(100),
      evidence: Evidence.optional(),
      forced: Forced.optional(),
      provisioned: Provisioned.optional(),
      // Set when the recover function rolled back an execution that had ended midway.
      recovery: z
        .object({
          execution: z.enum(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'UNKNOWN']),
          error: z.string().optional(),
          detail: z.string(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  // Built by the state machine itself (AnnounceRollbackFailed), from what the failed rollback left.
  'Canary Rollback Failed': z.object({ ...FromStateMachine, weight: z.number().min(0).max(100) }).strict(),
  // Sent by the recover function when it could not restore a target: traffic may still be split.
  'Canary Recovery Failed': z
    .object({
      ...Common,
      trigger: Common.trigger.optional(),
      reason: z.string(),
      conflict: z.literal(true).optional(),
      weight: z.number().min(0).max(100).optional(),
      error: z.object({ name: z.string(), message: z.string() }).strict().optional(),
    })
    .strict(),
  // Built by the state machine itself (AnnounceTrafficConflict): someone else changed the split.
  'Canary Traffic Conflict': z.object(FromStateMachine).strict(),
} as const;

/** An event as EventBridge delivers it to a rule's target. */
export const EnvelopeSchema = z
  .object({
    version: z.literal('0'),
    id: z.string(),
    'detail-type': z.string(),
    source: z.literal('fledge'),
    account: z.string(),
    time: z.iso.datetime(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.record(z.string(), z.unknown()),
  })
  .strict();

export type LifecycleDetailType = keyof typeof LifecycleEventSchemas;

/** The JSON Schema of every detail-type, for subscribers' own validation (docs/schema/). */
export function lifecycleEventsJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://fledge.dev/schema/lifecycle-events.schema.json',
    title: 'fledge lifecycle event details, by detail-type',
    $defs: Object.fromEntries(
      Object.entries(LifecycleEventSchemas).map(([type, schema]) => [
        type.replace(/ /g, ''),
        z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }),
      ]),
    ),
  };
}
