/**
 * What `fledge abort | promote | approve | reject | pause | resume` leave beside a rollout record, and what
 * they refuse (cli/operator/operate.ts over the in-process records): a pending command is never replaced
 * silently, and a request that would not apply is refused before anything is written.
 */
import { describe, expect, it } from 'vitest';
import {
  type Act,
  act,
  checkRolloutRef,
  describeStatus,
  findRollout,
  statusOf,
} from '../../cli/operator/operate';
import { MemoryRolloutRecords } from '../../cli/shared/memory-records';
import type { RolloutRecord } from '../../shared/core/record';

const KEY = 'lambda-alias#checkout#live';
const OWNER = 'arn:aws:states:us-east-1:123456789012:execution:fledge-canary:run-1';
const running = { describe: async () => ({ status: 'RUNNING' as const }) };

async function rolloutIn(status: RolloutRecord['status'], extra: Partial<RolloutRecord> = {}) {
  const records = new MemoryRolloutRecords(running);
  await records.acquire({
    key: KEY,
    owner: OWNER,
    since: '2026-11-02T10:00:00Z',
    updatedAt: '2026-11-02T10:00:00Z',
    status,
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    label: 'alias checkout:live (version 1 → 2)',
    ...extra,
  });
  const send = async (action: Act, by: string, reason = `${action} by ${by}`) =>
    act(action, await findRollout({ rollout: 'checkout:live' }, records, running), records, { reason, by });
  return { records, send };
}

describe('a command for a rollout that has ended', () => {
  it.each([
    [OWNER, '`fledge retry` starts it again'],
    [
      'arn:aws:states:us-east-1:000000000000:execution:fledge-canary:local-1',
      'It was a local run: `fledge run --input <file>` runs it again (`fledge retry` starts only deployed rollouts)',
    ],
  ])('refuses, and for %s says how to run it again: %s', async (owner, again) => {
    const { send } = await rolloutIn('rolled-back', { owner });

    await expect(send('abort', 'alice')).rejects.toThrow(
      `alias checkout:live (version 1 → 2): its last rollout has ended (rolled-back); there is nothing to abort. ${again}`,
    );
  });
});

describe('a command while another is pending', () => {
  it('refuses a promote after an abort, naming the pending abort and who sent it, and keeps the abort', async () => {
    const { records, send } = await rolloutIn('baking');
    await send('abort', 'alice', 'customer escalation');

    const promote = send('promote', 'bob', 'hotfix');

    await expect(promote).rejects.toMatchObject({
      name: 'RequestRefusedError',
      message: expect.stringMatching(
        /`fledge abort` requested by alice at .* \(customer escalation\) is still pending/,
      ),
    });
    expect((await records.requests(KEY)).command).toMatchObject({ action: 'abort', by: 'alice' });
  });

  it('refuses an approve after an abort at a gate', async () => {
    const { records, send } = await rolloutIn('baking', {
      gate: { id: 'step 1', openedAt: '2026-11-02T10:05:00Z' },
    });
    await send('abort', 'alice');

    await expect(send('approve', 'bob')).rejects.toThrow(
      /`fledge abort` requested by alice .* still pending/,
    );
    expect((await records.requests(KEY)).command?.action).toBe('abort');
  });

  it('lets an abort replace a pending promote, and says so', async () => {
    const { records, send } = await rolloutIn('baking');
    await send('promote', 'bob');

    const aborted = await send('abort', 'alice');

    expect(aborted.message).toMatch(/replaces the pending promote requested by bob/);
    expect((await records.requests(KEY)).command).toMatchObject({ action: 'abort', by: 'alice' });
  });

  it('refuses a second abort', async () => {
    const { send } = await rolloutIn('baking');
    await send('abort', 'alice');

    await expect(send('abort', 'bob')).rejects.toThrow(/`fledge abort` requested by alice .* still pending/);
  });

  it('replaces a command a check has already applied (its clear was lost)', async () => {
    const { records, send } = await rolloutIn('baking');
    await send('promote', 'bob');
    const applied = (await records.requests(KEY)).command?.id ?? '';
    const record = (await records.get(KEY)) as RolloutRecord;
    await records.save({ ...record, handled: [applied] });

    const shown = statusOf(await findRollout({ rollout: 'checkout:live' }, records, running));
    await send('promote', 'alice');

    expect(shown.pending).toBeUndefined();
    expect((await records.requests(KEY)).command).toMatchObject({ action: 'promote', by: 'alice' });
  });
});

describe('before any traffic moved', () => {
  it('accepts an abort (SetWeight reads it before it moves traffic)', async () => {
    const { records, send } = await rolloutIn('planned');

    await send('abort', 'alice');

    expect((await records.requests(KEY)).command?.action).toBe('abort');
  });

  it('refuses a pause, saying that abort stops it before traffic moves', async () => {
    const { records, send } = await rolloutIn('planned');

    await expect(send('pause', 'alice')).rejects.toThrow(
      /no traffic has moved yet \(planned\).*`fledge abort` stops it before any traffic moves/,
    );
    expect(await records.requests(KEY)).toEqual({});
  });
});

describe('once no check runs any more', () => {
  it.each([
    ['promoting', /it is being promoted/],
    ['verifying', /afterAllowTraffic hook is running/],
    ['rolling-back', /it is rolling back/],
  ] as const)('refuses every request while %s, saying what is happening', async (status, what) => {
    const { records, send } = await rolloutIn(status);

    for (const action of ['abort', 'promote', 'pause'] as const) {
      await expect(send(action, 'alice')).rejects.toThrow(what);
    }
    expect(await records.requests(KEY)).toEqual({});
  });
});

describe('a rollout named twice', () => {
  const input = (functionName: string) => ({
    target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
  });

  it('refuses a name and an --input that name different targets, as a usage error', async () => {
    const { records } = await rolloutIn('baking');

    const found = findRollout({ rollout: 'checkout:live', input: input('payments') }, records, running);

    await expect(found).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/'checkout:live' and --input name different targets/),
    });
  });

  it("names the input's target, as a person would, when no rollout of it is on record", async () => {
    // Prepare: a Route 53 pair, which only --input can name.
    const { records } = await rolloutIn('baking');
    const pair = {
      target: {
        type: 'route53-weighted',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: 'media.example.com',
        recordType: 'A',
        stable: 'primary',
        canary: 'canary',
      },
    };

    // Act
    const found = findRollout({ input: pair }, records, running);
    const both = findRollout({ rollout: 'checkout:live', input: pair }, records, running);

    // Assess
    await expect(found).rejects.toThrow(
      "no rollout of media.example.com A (Z0123456789ABCDEFGHIJ) (the input's target) is on record; nothing was changed",
    );
    await expect(both).rejects.toThrow(
      "(alias checkout:live (version 1 → 2); the input's is media.example.com A (Z0123456789ABCDEFGHIJ))",
    );
  });

  it('accepts both when they name the same target, by alias or by execution ARN', async () => {
    const { records } = await rolloutIn('baking');

    const byAlias = await findRollout(
      { rollout: 'checkout:live', input: input('checkout') },
      records,
      running,
    );
    const byArn = await findRollout({ rollout: OWNER, input: input('checkout') }, records, running);

    expect(byAlias.record.key).toBe(KEY);
    expect(byArn.record.key).toBe(KEY);
  });
});

describe('fledge status', () => {
  it('says that a rollout whose execution has ended is not baking, and what restores its traffic', async () => {
    const { records } = await rolloutIn('baking', { traffic: { baseline: '1', canary: '2', weight: 10 } });
    const stopped = { describe: async () => ({ status: 'ABORTED' as const }) };

    const lines = describeStatus(statusOf(await findRollout({ rollout: 'checkout:live' }, records, stopped)));

    expect(lines[0]).toBe(
      'alias checkout:live (version 1 → 2): its execution has ended (ABORTED) without finishing the rollout, 10% on the canary',
    );
    expect(lines).toContain(
      '  traffic stays as last set until fledge recovery restores the baseline (within minutes; `Canary Recovery Failed` if it cannot), or run `fledge recover`',
    );
  });
});

describe('fledge status of a paused rollout', () => {
  it('says it is paused, by whom, since when and why, and what the next check does', async () => {
    const { records, send } = await rolloutIn('baking', {
      traffic: { baseline: '1', canary: '2', weight: 10 },
      step: { index: 0, of: 3 },
    });
    await send('pause', 'alice', 'watching the dashboard');

    const found = await findRollout({ rollout: 'checkout:live' }, records, running);
    const lines = describeStatus(statusOf(found));

    expect(lines[0]).toBe(
      'alias checkout:live (version 1 → 2): paused (baking), 10% on the canary, step 1 of 3',
    );
    expect(lines).toContain(
      `  paused by alice since ${found.requests.pause?.since}: watching the dashboard. The next check holds at step 1 of 3: the bake goes on, but the rollout neither advances nor promotes until \`fledge resume\`; a failing check still rolls back`,
    );
  });
});

describe('fledge status of a local run', () => {
  it('says the execution is a local run, not that its status is UNKNOWN', async () => {
    // Prepare: `fledge run` with FLEDGE_TABLE keeps the record of an execution Step Functions never saw.
    const local = 'arn:aws:states:us-east-1:123456789012:execution:fledge-canary:local-7b1c2d9e';
    const { records } = await rolloutIn('baking', { owner: local });
    const unknown = { describe: async () => ({ status: 'UNKNOWN' as const }) };

    // Act
    const lines = describeStatus(statusOf(await findRollout({ rollout: 'checkout:live' }, records, unknown)));

    // Assess
    expect(lines[0]).toBe('alias checkout:live (version 1 → 2): baking, 0% on the canary');
    expect(lines[1]).toBe(
      `  execution ${local} (a local run, fledge run), since 2026-11-02T10:00:00Z, updated 2026-11-02T10:00:00Z`,
    );
  });
});

describe('a pause once the rollout has used its pause budget', () => {
  const input = (maxPauseMinutes: number) => ({ gates: { maxPauseMinutes } });

  it('is refused, saying how much was used of how much, and nothing is written', async () => {
    const { records, send } = await rolloutIn('baking', { input: input(30), pausedMinutes: 31.5 });

    const pause = send('pause', 'bob');

    await expect(pause).rejects.toMatchObject({
      name: 'RequestRefusedError',
      message: expect.stringMatching(
        /its pauses have used 31\.5 of the 30 minute\(s\) gates\.maxPauseMinutes allows a rollout in all.*Nothing was changed/,
      ),
    });
    expect(await records.requests(KEY)).toEqual({});
  });

  it('is taken while some is left, and says how much', async () => {
    const { records, send } = await rolloutIn('baking', { input: input(30), pausedMinutes: 12 });

    const paused = await send('pause', 'bob');

    expect(paused.message).toMatch(
      /up to 18 minute\(s\) of pause left \(gates\.maxPauseMinutes, for the whole rollout\)/,
    );
    expect((await records.requests(KEY)).pause?.by).toBe('bob');
  });
});

describe('a rollout named wrongly', () => {
  it.each([
    ['check out', /^the rollout argument 'check out' is not a rollout: name an execution ARN/],
    ['a:b:c', /^the rollout argument 'a:b:c' is not a rollout/],
    [':live', /^the rollout argument ':live' is not a rollout/],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live',
      /^the rollout argument 'arn:aws:lambda:.*' is not a rollout: it is not a Step Functions execution ARN/,
    ],
    [
      'arn:aws:states:eu-west-1:123456789012:stateMachine:fledge-canary-prod',
      /is not a Step Functions execution ARN/,
    ],
  ])('(%s) is a usage error naming the argument, found without reading the table', async (name, message) => {
    const { records } = await rolloutIn('baking');
    const unread = {
      get: () => Promise.reject(new Error('the table was read')),
      forExecution: () => Promise.reject(new Error('the table was read')),
    } as unknown as typeof records;

    await expect(findRollout({ rollout: name }, unread, running)).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(message),
    });
    expect(() => checkRolloutRef({ rollout: name })).toThrow(
      expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(message) }),
    );
  });

  it('accepts an execution ARN and <function>:<alias>', () => {
    expect(() => checkRolloutRef({ rollout: OWNER })).not.toThrow();
    expect(() => checkRolloutRef({ rollout: 'checkout:live' })).not.toThrow();
  });

  it.each([
    [{ target: { type: 'lambda', functionName: 'checkout', alias: 'live', version: '2' } }, /target\.type: /],
    [
      { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '$LATEST' } },
      /target\.version: must be a published version number/,
    ],
    [{ strategy: 'Canary10Percent5Minutes' }, /^--input names no valid target: target: /],
  ])('refuses an --input whose target is not valid, naming the field (%#)', async (input, field) => {
    const { records } = await rolloutIn('baking');

    await expect(findRollout({ input }, records, running)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(field),
    });
    expect(() => checkRolloutRef({ rollout: 'checkout:live', input })).toThrow(field);
  });
});

describe('a release, named by its name or by any of its targets', () => {
  const member = (fn: string): RolloutRecord => ({
    key: `lambda-alias#${fn}#live`,
    owner: OWNER,
    since: '2026-12-04T10:00:00Z',
    updatedAt: '2026-12-04T10:00:00Z',
    status: 'baking',
    target: { type: 'lambda-alias', functionName: fn, alias: 'live', version: '2' },
    label: `alias ${fn}:live (version 1 → 2)`,
    traffic: { baseline: '1', canary: '2', weight: fn === 'cart' ? 20 : 10 },
    step: { index: 1, of: 9 },
    release: { name: 'shop-1', keys: ['lambda-alias#checkout#live', 'lambda-alias#cart#live'] },
  });
  async function release() {
    const records = new MemoryRolloutRecords(running);
    await records.acquireAll([member('checkout'), member('cart')]);
    return records;
  }

  it('leaves a command by the release name beside its first target, which its checks read', async () => {
    const records = await release();

    const found = await findRollout({ rollout: 'shop-1' }, records, running);
    await act('abort', found, records, { reason: 'bad deploy', by: 'alice' });

    expect(found.record.key).toBe('lambda-alias#checkout#live');
    expect((await records.requests('lambda-alias#checkout#live')).command).toMatchObject({ action: 'abort' });
    expect((await records.requests('lambda-alias#cart#live')).command).toBeUndefined();
  });

  it('acts on the release, not one target alone, when a command names another of its targets', async () => {
    const records = await release();

    const found = await findRollout({ rollout: 'cart:live' }, records, running);
    await act('pause', found, records, { reason: 'look', by: 'bob' });

    expect(found.record.key).toBe('lambda-alias#checkout#live');
    expect((await records.requests('lambda-alias#checkout#live')).pause?.by).toBe('bob');
  });

  it('shows the release with each of its targets in fledge status', async () => {
    const records = await release();

    const lines = describeStatus(statusOf(await findRollout({ rollout: 'shop-1' }, records, running)));

    expect(lines[0]).toMatch(/^release shop-1 \(2 targets\): baking, 10% on the canary, step 2 of 9/);
    expect(lines).toContain('  alias checkout:live (version 1 → 2): baking, 10% on the canary');
    expect(lines).toContain('  alias cart:live (version 1 → 2): baking, 20% on the canary');
  });

  it('refuses a release name that is not on record, naming it', async () => {
    const records = await release();

    await expect(findRollout({ rollout: 'shop-2' }, records, running)).rejects.toThrow(
      "no release named 'shop-2' is on record",
    );
  });

  it('finds the newest release of that name once it has ended, as a target finds its last rollout', async () => {
    const records = new MemoryRolloutRecords(running);
    const ended = (fn: string, owner: string, since: string): RolloutRecord => ({
      ...member(fn),
      owner,
      since,
      status: 'promoted',
      traffic: { baseline: '1', canary: '2', weight: 100 },
    });
    // An older run of shop-1 on other targets, then the newer on checkout and cart, both ended.
    const older = { keys: ['lambda-alias#a#live', 'lambda-alias#b#live'], name: 'shop-1' };
    await records.acquireAll([
      { ...ended('a', 'older', '2026-12-03T10:00:00Z'), key: older.keys[0] as string, release: older },
      { ...ended('b', 'older', '2026-12-03T10:00:00Z'), key: older.keys[1] as string, release: older },
    ]);
    await records.acquireAll([
      ended('cart', OWNER, '2026-12-04T10:00:00Z'),
      ended('checkout', OWNER, '2026-12-04T10:00:00Z'),
    ]);

    const status = statusOf(await findRollout({ rollout: 'shop-1' }, records, running));

    expect(status).toMatchObject({
      key: 'lambda-alias#checkout#live',
      owner: OWNER,
      status: 'promoted',
      weight: 100,
    });
    expect(status.targets?.map((t) => t.status)).toEqual(['promoted', 'promoted']);
  });
});
