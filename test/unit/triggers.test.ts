import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { interpretTrigger } from '../../shared/core/triggers';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:checkout';
const tagged = (tags: Record<string, string>) => async (arn: string) => (arn === ARN ? tags : {});

function cloudTrail(detail: Record<string, unknown>) {
  const event = fixture('publish-version');
  return { ...event, detail: { ...(event.detail as object), ...detail } };
}

describe('interpretTrigger', () => {
  it('skips a function whose tags fledge may not read (outside targetFunctions), naming why', async () => {
    const refused = async () => {
      throw Object.assign(new Error('not authorized to perform: lambda:ListTags'), {
        name: 'AccessDeniedException',
      });
    };

    const trigger = await interpretTrigger(fixture('publish-version'), refused);

    expect(trigger).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/may not read the tags of function checkout.*targetFunctions/),
    });
  });

  it('lets any other failure to read the tags fail the run (it is retried or reported)', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });

    await expect(
      interpretTrigger(fixture('publish-version'), async () => {
        throw throttled;
      }),
    ).rejects.toBe(throttled);
  });

  it('passes console input through untouched', async () => {
    const input = { target: { type: 'lambda-alias' } };

    const trigger = await interpretTrigger(input, tagged({}));

    expect(trigger).toEqual({ kind: 'rollout', input, source: 'console' });
  });

  it('turns a tagged PublishVersion event into a rollout input, reading the unqualified ARN', async () => {
    const read: string[] = [];
    const tags = {
      'fledge:alias': 'live',
      'fledge:strategy': 'Linear10PercentEvery1Minute',
      'fledge:alarms': 'a b,c',
    };

    const trigger = await interpretTrigger(fixture('publish-version'), async (arn) => {
      read.push(arn);
      return tags;
    });

    expect(read).toEqual([ARN]);
    expect(trigger).toEqual({
      kind: 'rollout',
      source: 'lambda-publish',
      eventId: '6f7e2a4c-2d5b-4b8e-9d0a-1c2b3d4e5f60',
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Linear10PercentEvery1Minute',
        analysis: { alarms: ['a', 'b', 'c'] },
      },
    });
  });

  it.each([
    ['an untagged function', fixture('publish-version'), {}, /has no fledge:alias tag/],
    [
      'UpdateFunctionCode without publish',
      cloudTrail({
        eventName: 'UpdateFunctionCode20150331v2',
        requestParameters: { functionName: 'checkout' },
      }),
      { 'fledge:alias': 'live' },
      /does not publish a version/,
    ],
    [
      'a failed call',
      cloudTrail({ errorCode: 'ResourceConflictException' }),
      { 'fledge:alias': 'live' },
      /failed \(ResourceConflictException\)/,
    ],
    [
      'CreateFunction',
      cloudTrail({ eventName: 'CreateFunction20150331', requestParameters: { publish: true } }),
      { 'fledge:alias': 'live' },
      /no baseline/,
    ],
    [
      'UpdateAlias',
      cloudTrail({ eventName: 'UpdateAlias20150331' }),
      { 'fledge:alias': 'live' },
      /does not publish a version/,
    ],
  ])('skips %s with a reason', async (_name, event, tags, reason) => {
    const trigger = await interpretTrigger(event, tagged(tags));

    expect(trigger.kind).toBe('skip');
    expect(trigger.kind === 'skip' && trigger.reason).toMatch(reason);
  });

  it('takes the rollout input from a deploy event', async () => {
    const event = fixture('canary-release-requested');

    const trigger = await interpretTrigger(event, tagged({}));

    expect(trigger).toMatchObject({
      kind: 'rollout',
      source: 'deploy-event',
      input: event.detail,
      eventId: event.id,
    });
  });

  it('refuses other events with a message that says what to send', async () => {
    const event = { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} };

    await expect(interpretTrigger(event, tagged({}))).rejects.toThrow(/send 'Canary Release Requested'/);
  });
});
