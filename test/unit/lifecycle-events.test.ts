/**
 * The lifecycle-event contract: every detail-type fledge knows has a severity, a schema and an example
 * in docs/EVENTS.md; the examples and every event a real run of the state machine publishes satisfy the
 * schemas; and the state machine's own Rollback Failed and Traffic Conflict events agree with the
 * severity table.
 */
import { readFileSync } from 'node:fs';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/shared/definition';
import { type LifecycleEvent, lifecycleDetail, SEVERITY } from '../../shared/aws/events';
import {
  EnvelopeSchema,
  LifecycleEventSchemas,
  lifecycleEventsJsonSchema,
} from '../../shared/core/event-schemas';
import { eventSummary } from '../../shared/core/event-summary';
import { captureLifecycleEvents } from '../support/captured-events';

const DETAIL_TYPES = Object.keys(SEVERITY) as LifecycleEvent[];

/** Each `### \`Canary …\`` section of docs/EVENTS.md with the JSON example under it. */
function documentedExamples(): Map<string, unknown> {
  const text = readFileSync(new URL('../../docs/EVENTS.md', import.meta.url), 'utf8');
  const examples = new Map<string, unknown>();
  for (const section of text.split(/^### /m).slice(1)) {
    const title = /^`([^`]+)`/.exec(section)?.[1];
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    if (title && json) examples.set(title, JSON.parse(json));
  }
  return examples;
}

function problems(detailType: string, detail: unknown): string[] {
  const schema = LifecycleEventSchemas[detailType as LifecycleEvent];
  if (!schema) return [`no schema for ${detailType}`];
  const result = schema.safeParse(detail);
  return result.success
    ? []
    : result.error.issues.map((i) => `${detailType} ${i.path.join('.')}: ${i.message}`);
}

describe('the documented events', () => {
  const examples = documentedExamples();

  it('cover every detail-type, each with a schema', () => {
    expect([...examples.keys()].sort()).toEqual([...DETAIL_TYPES].sort());
    expect(Object.keys(LifecycleEventSchemas).sort()).toEqual([...DETAIL_TYPES].sort());
  });

  it.each(DETAIL_TYPES)(
    '%s: the example is a whole event whose detail satisfies the schema',
    (detailType) => {
      const event = EnvelopeSchema.parse(examples.get(detailType));

      expect(event['detail-type']).toBe(detailType);
      expect(problems(detailType, event.detail)).toEqual([]);
      expect(event.detail.severity).toBe(SEVERITY[detailType]);
    },
  );

  it('match the published JSON Schema file (npm run schema writes it)', () => {
    const file = JSON.parse(
      readFileSync(new URL('../../docs/schema/lifecycle-events.schema.json', import.meta.url), 'utf8'),
    );

    expect(file).toEqual(lifecycleEventsJsonSchema());
  });
});

describe('the events a real run publishes', () => {
  let entries: PutEventsRequestEntry[];

  beforeAll(async () => {
    entries = await captureLifecycleEvents();
  });

  it('include every detail-type, from source fledge on the default bus', () => {
    expect(new Set(entries.map((e) => e.DetailType))).toEqual(new Set(DETAIL_TYPES));
    for (const entry of entries) expect(entry).toMatchObject({ Source: 'fledge', EventBusName: 'default' });
  });

  it('each satisfy the schema of their detail-type, with its severity', () => {
    for (const entry of entries) {
      const detail = JSON.parse(entry.Detail ?? '{}');

      expect(problems(entry.DetailType ?? '', detail)).toEqual([]);
      expect(detail.severity).toBe(SEVERITY[entry.DetailType as LifecycleEvent]);
    }
  });

  it('say what happened to which target, in one line fit for a template', () => {
    const summaries = entries.map((e) => [e.DetailType, JSON.parse(e.Detail ?? '{}').summary]);

    expect(summaries).toContainEqual([
      'Canary Rolled Back',
      expect.stringMatching(
        /^checkout:live: version 3 ROLLED BACK to version 2, .*the canary had 10%.*canary error rate is higher/,
      ),
    ]);
    expect(summaries).toContainEqual([
      'Canary Promoted',
      expect.stringMatching(/^checkout:live: version 3 promoted/),
    ]);
    expect(summaries).toContainEqual([
      'Canary Rollback Failed',
      'ROLLBACK FAILED for alias checkout:live (version 1 → 2), traffic may still be split (10% on the canary). AccessDeniedException',
    ]);
    expect(summaries).toContainEqual([
      'Canary Traffic Conflict',
      'TRAFFIC CONFLICT for alias checkout:live (version 1 → 2), traffic may still be split - someone else changed it and fledge stopped without overwriting it. TrafficConflictError',
    ]);
    expect(summaries).toContainEqual([
      'Canary Recovery Failed',
      expect.stringMatching(
        /^checkout:live: RECOVERY FAILED, traffic may still be split\. the execution failed \(fledge\.RollbackFailed/,
      ),
    ]);
    expect(entries.map((e) => JSON.parse(e.Detail ?? '{}'))).toContainEqual(
      expect.objectContaining({
        recovery: expect.objectContaining({ execution: 'FAILED', error: 'fledge.RollbackFailed' }),
        reason: expect.stringMatching(/fledge recovery restored the baseline/),
      }),
    );
  });

  it('say who forced an end, and why', () => {
    const forced = entries
      .map((e) => [e.DetailType, JSON.parse(e.Detail ?? '{}').forced])
      .filter(([, f]) => f !== undefined);

    expect(forced).toEqual([
      [
        'Canary Rolled Back',
        {
          action: 'rollback',
          by: 'arn:aws:iam::123456789012:user/ops',
          reason: 'aborted by arn:aws:iam::123456789012:user/ops: abort by the test',
          command: 'abort',
        },
      ],
      [
        'Canary Promoted',
        expect.objectContaining({ action: 'promote', command: 'promote', skipAnalysis: true }),
      ],
    ]);
  });
});

describe('severity and summary', () => {
  it.each([
    ['AnnounceRollbackFailed', 'Canary Rollback Failed'],
    ['AnnounceTrafficConflict', 'Canary Traffic Conflict'],
  ])('the state machine sets in %s what the table says', (state, detailType) => {
    const { definition } = loadDefinition();
    const parameters = definition.States[state]?.Parameters as
      | { Entries: Array<{ DetailType: LifecycleEvent; Detail: Record<string, unknown> }> }
      | undefined;
    const entry = parameters?.Entries[0];
    if (!entry) throw new Error(`${state} puts no event`);

    // Rollback Failed takes the summary its Describe… state wrote with what may be live.
    const summaries =
      entry.Detail['summary.$'] === '$.failure.summary'
        ? ['DescribeLastWeight', 'DescribeUnconfirmedWrite'].map(
            (s) => (definition.States[s]?.Parameters as Record<string, unknown> | undefined)?.['summary.$'],
          )
        : [entry.Detail['summary.$']];

    expect(entry.DetailType).toBe(detailType);
    expect(entry.Detail.severity).toBe(SEVERITY[entry.DetailType]);
    for (const summary of summaries) expect(summary).toMatch(/^States\.Format\(/);
  });

  it('keeps a severity and summary the caller set, and flattens what a template could not hold', () => {
    const kept = lifecycleDetail('Canary Rollback Failed', { severity: 'high', summary: 'set by the ASL' });
    const made = eventSummary('Canary Rolled Back', {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '3' },
      baseline: '2',
      canary: '3',
      weightBefore: 10,
      reason: 'beforeAllowTraffic hook "smoke"\nreported Failed \\ no traffic had moved',
    });

    expect(kept).toMatchObject({ severity: 'high', summary: 'set by the ASL' });
    expect(made).toBe(
      "checkout:live: version 3 ROLLED BACK to version 2, which has all traffic again (the canary had 10%). beforeAllowTraffic hook 'smoke' reported Failed / no traffic had moved",
    );
  });
});
