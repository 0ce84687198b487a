/**
 * Starting runs without a console, against moto: CloudTrail publish events for tagged and untagged
 * functions, a deploy event, a second start refused by the DynamoDB lock, and lifecycle events that
 * reach an SQS queue through a real EventBridge rule.
 */
import { readFileSync } from 'node:fs';
import { LambdaClient, TagResourceCommand } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { defaultDeps } from '../../cli/shared/wiring';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { VirtualClock } from '../../shared/core/clock';
import { eventQueue, publishLambdaMinutes, readAlias } from '../support/aws';
import { fledgeRun } from '../support/cli';

const START = new Date('2026-11-02T10:00:00.000Z');
const TABLE = 'fledge-locks-test';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));

/** A fixture event about another function, as CloudTrail would deliver it. */
function publishEvent(functionName: string, version: string, id: string) {
  const event = fixture('publish-version') as {
    id: string;
    detail: { responseElements: Record<string, string> };
  };
  event.id = id;
  event.detail.responseElements.functionName = functionName;
  event.detail.responseElements.functionArn = `arn:aws:lambda:us-east-1:123456789012:function:${functionName}:${version}`;
  event.detail.responseElements.version = version;
  return event;
}

const fledge = (input: unknown) => fledgeRun(input, START, ['--json'], { FLEDGE_TABLE: TABLE });

async function healthyFunction(name: string, tags?: Record<string, string>) {
  const fixtureFn = await createFunctionWithAlias(name, 'live', 2);
  if (tags) {
    const lambda = new LambdaClient({});
    await lambda.send(
      new TagResourceCommand({
        Resource: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
        Tags: tags,
      }),
    );
  }
  await publishLambdaMinutes(name, 'live', START, 30, {
    '1': { requests: 900, errors: 4 },
    '2': { requests: 100, errors: 0 },
  });
  return fixtureFn;
}

describe('triggers against moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    await createRolloutTable(TABLE);
    await healthyFunction('tagged-fn', {
      'fledge:alias': 'live',
      'fledge:strategy': 'Canary10Percent5Minutes',
    });
    await healthyFunction('untagged-fn');
    await healthyFunction('deploy-fn');
  });

  it("runs a canary when a tagged function's new version is published", async () => {
    const { code, report } = await fledge(publishEvent('tagged-fn', '2', 'evt-tagged'));

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'promoted', canary: '2' });
    expect(await readAlias('tagged-fn', 'live')).toEqual({ version: '2', weights: {} });
  });

  it('skips an untagged function and changes nothing', async () => {
    const { code, report } = await fledge(publishEvent('untagged-fn', '2', 'evt-untagged'));

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'skipped' });
    expect(String(report.reason)).toMatch(/untagged-fn has no fledge:alias tag/);
    expect(await readAlias('untagged-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('runs the release a deploy event asks for', async () => {
    const event = fixture('canary-release-requested') as { detail: { target: { functionName: string } } };
    event.detail.target.functionName = 'deploy-fn';

    const { code, report } = await fledge(event);

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'promoted' });
    expect(await readAlias('deploy-fn', 'live')).toEqual({ version: '2', weights: {} });
  });

  it('refuses a second start on a target whose rollout is in progress', async () => {
    // Prepare: run A holds the target; while it bakes, run B is started with the CLI.
    await healthyFunction('busy-fn');
    const clock = new VirtualClock(START);
    const input = { target: { type: 'lambda-alias', functionName: 'busy-fn', alias: 'live', version: '2' } };
    let second: Awaited<ReturnType<typeof fledge>> | undefined;

    // Act
    const first = await runLocal({
      input,
      deps: {
        ...defaultDeps(),
        clock,
        records: new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions),
      },
      virtualClock: clock,
      taskOverrides: {
        Evaluate: async (taskInput, real) => {
          second ??= await fledge(input);
          return real(taskInput);
        },
      },
    });

    // Assess
    expect(second?.code).toBe(2);
    expect(second?.report).toMatchObject({ outcome: 'rejected' });
    expect(String(second?.report.reason)).toMatch(
      /a local rollout holds this target \(.*:local-.*; alias busy-fn:live \(version 1 → 2\): baking, 10% on the canary\)/,
    );
    expect(toReport(first).outcome).toBe('promoted');
    const after = await fledge({ ...input, target: { ...input.target, version: '1' } });
    expect(String(after.report.reason)).not.toMatch(/in progress/);
  });

  it('delivers lifecycle events to an SQS queue through an EventBridge rule', async () => {
    // Prepare: a queue that receives this function's events through an EventBridge rule.
    const readEvents = await eventQueue('events-fn');
    await createFunctionWithAlias('events-fn', 'live', 2);
    await publishLambdaMinutes('events-fn', 'live', START, 30, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 10 },
    });

    // Act
    const { report } = await fledge({
      target: { type: 'lambda-alias', functionName: 'events-fn', alias: 'live', version: '2' },
    });
    const received = (await readEvents()) as Array<{
      'detail-type': string;
      source: string;
      detail: Record<string, unknown>;
    }>;

    // Assess
    expect(report.outcome).toBe('rolled-back');
    expect(received.map((e) => e['detail-type'])).toEqual([
      'Canary Started',
      'Canary Weight Changed',
      'Canary Rolled Back',
    ]);
    expect(received.every((e) => e.source === 'fledge')).toBe(true);
    expect(received[2]?.detail).toMatchObject({
      canary: '2',
      baseline: '1',
      reason: expect.stringMatching(/canary error rate is higher/),
      evidence: expect.objectContaining({ canary: expect.objectContaining({ errors: expect.any(Number) }) }),
    });
  });
});
