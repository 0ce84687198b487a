/**
 * `fledge status` as its command runs it (cli/commands/status.ts), over in-process records whose reads
 * can be made to fail: `--interval` without `--watch` is refused, and a `--watch` rides out transient AWS
 * errors (one line each, up to five in a row) while any other error still ends it.
 */
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { define } from '../../cli/commands/status';
import { MemoryRolloutRecords } from '../../cli/shared/memory-records';
import type { RolloutRecord } from '../../shared/core/record';

const KEY = 'lambda-alias#checkout#live';
const OWNER = 'arn:aws:states:us-east-1:123456789012:execution:fledge-canary:run-1';
const running = { describe: async () => ({ status: 'RUNNING' as const }) };

const setup = vi.hoisted(() => ({
  checked: 0,
  records: undefined as unknown,
}));

vi.mock('../../cli/shared/aws-setup', () => ({
  checkAwsSetup: async () => {
    setup.checked += 1;
  },
}));
vi.mock('../../cli/operator/context', () => ({
  operatorContext: async () => ({ records: setup.records, executions: running }),
}));

const record: RolloutRecord = {
  key: KEY,
  owner: OWNER,
  since: '2026-11-02T10:00:00Z',
  updatedAt: '2026-11-02T10:00:00Z',
  status: 'baking',
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
  label: 'alias checkout:live (version 1 → 2)',
  traffic: { baseline: '1', canary: '2', weight: 10 },
};

/** An AWS SDK error as the client throws it. */
function awsError(name: string, status: number, fault: 'client' | 'server'): Error {
  return Object.assign(new Error(`${name} from AWS`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}

/**
 * Records whose nth `get` (1: the lookup; then one per refresh) runs `onGet[n]`: a throw fails that read,
 * anything else runs before it reads.
 */
async function recordsWith(onGet: Record<number, () => Promise<void> | void>) {
  const records = new MemoryRolloutRecords(running);
  await records.acquire(record);
  const get = records.get.bind(records);
  let calls = 0;
  records.get = async (key) => {
    calls += 1;
    await onGet[calls]?.();
    return get(key);
  };
  setup.records = records;
  return records;
}

async function status(...args: string[]): Promise<{ lines: string[]; error?: Error }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => {
    lines.push(...String(line).split('\n'));
  });
  const command = new Command('status').exitOverride();
  define(command);
  try {
    await command.parseAsync(args, { from: 'user' });
    return { lines };
  } catch (error) {
    return { lines, error: error as Error };
  }
}

beforeEach(() => {
  setup.checked = 0;
});
afterEach(() => vi.restoreAllMocks());

describe('fledge status --interval', () => {
  it('is refused without --watch, naming the option, before any AWS call', async () => {
    await recordsWith({});

    const { lines, error } = await status('checkout:live', '--interval', '5');

    expect(error).toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/^--interval .*--watch/),
    });
    expect(lines).toEqual([]);
    expect(setup.checked).toBe(0);
  });
});

describe('fledge status --watch', () => {
  it('says so in one line when a refresh meets a transient AWS error, and watches on to the end', async () => {
    const records = await recordsWith({
      2: () => {
        throw awsError('ThrottlingException', 400, 'client');
      },
      3: () => {
        throw awsError('ServiceUnavailable', 503, 'server');
      },
      4: async () => {
        await records.finish({
          ...record,
          status: 'rolled-back',
          outcome: { outcome: 'rolled-back', reason: 'regression', at: '2026-11-02T10:09:00Z', weight: 0 },
        });
      },
    });

    const { lines, error } = await status('checkout:live', '--watch', '--interval', '0.001');

    expect(error).toBeUndefined();
    const failed = lines.filter((l) => l.includes('could not refresh'));
    expect(failed).toEqual([
      expect.stringMatching(
        /^alias checkout:live \(version 1 → 2\): could not refresh \(ThrottlingException: ThrottlingException from AWS\), a transient AWS error; trying again in 0.001s \(1 of 5 failures in a row before giving up\)/,
      ),
      expect.stringMatching(/could not refresh \(ServiceUnavailable: .*\(2 of 5 failures in a row/),
    ]);
    expect(lines.at(-1)).toBe('  rolled-back at 2026-11-02T10:09:00Z: regression');
  });

  it('prints each failed refresh as one JSON line under --json', async () => {
    const records = await recordsWith({
      2: () => {
        throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
      },
      3: async () => {
        await records.finish({ ...record, status: 'promoted' });
      },
    });

    const { lines, error } = await status('checkout:live', '--watch', '--interval', '0.001', '--json');

    expect(error).toBeUndefined();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ status: 'baking' }),
      expect.objectContaining({
        refresh: 'failed',
        error: { name: 'Error', message: 'socket hang up' },
        failures: 1,
        giveUpAfter: 5,
      }),
      expect.objectContaining({ status: 'promoted' }),
    ]);
  });

  it('gives up after five transient failures in a row, saying so', async () => {
    const throttled = () => {
      throw awsError('ThrottlingException', 400, 'client');
    };
    await recordsWith({ 2: throttled, 3: throttled, 4: throttled, 5: throttled, 6: throttled, 7: throttled });

    const { lines, error } = await status('checkout:live', '--watch', '--interval', '0.001');

    expect(lines.filter((l) => l.includes('could not refresh'))).toHaveLength(4);
    expect(error?.name).not.toMatch(/UsageError|RefusedError|InvalidInputError|RequestRefusedError/);
    expect(error?.message).toMatch(
      /gave up watching after 5 failed refreshes in a row \(last: ThrottlingException: .*\); the rollout itself goes on/,
    );
  });

  it('counts only failures in a row: a good refresh in between starts again', async () => {
    const throttled = () => {
      throw awsError('ThrottlingException', 400, 'client');
    };
    const records = await recordsWith({
      2: throttled,
      3: throttled,
      4: throttled,
      5: throttled,
      7: throttled,
      8: throttled,
      9: async () => {
        await records.finish({ ...record, status: 'promoted' });
      },
    });

    const { error } = await status('checkout:live', '--watch', '--interval', '0.001');

    expect(error).toBeUndefined();
  });

  it('still ends at once on an error that is not transient', async () => {
    await recordsWith({
      2: () => {
        throw awsError('AccessDeniedException', 400, 'client');
      },
    });

    const { lines, error } = await status('checkout:live', '--watch', '--interval', '0.001');

    expect(error?.name).toBe('AccessDeniedException');
    expect(lines.filter((l) => l.includes('could not refresh'))).toEqual([]);
  });
});
