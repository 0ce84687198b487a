import { describe, expect, it } from 'vitest';
import { holdLease } from '../../cli/local/lease';
import type { EventLog } from '../../cli/local/runner';

const planned = (rollout: unknown) =>
  ({ type: 'StateExited', state: { name: 'Plan', output: { rollout } } }) as unknown as EventLog;

describe("a local run's lease", () => {
  it('renews every record a release holds, so the sweep takes none of its targets for abandoned', async () => {
    const beats: string[] = [];
    const lease = holdLease(
      { heartbeat: async (key, owner) => void beats.push(`${key}@${owner}`) },
      () => {},
    );

    lease.observe(
      planned({
        record: { key: 'a', owner: 'local-1' },
        release: { members: [{ key: 'a' }, { key: 'b' }, { key: 'c' }] },
      }),
    );
    lease.stop();

    expect(beats).toEqual(['a@local-1', 'b@local-1', 'c@local-1']);
  });

  it("renews a single rollout's one record", async () => {
    const beats: string[] = [];
    const lease = holdLease({ heartbeat: async (key) => void beats.push(key) }, () => {});

    lease.observe(planned({ record: { key: 'only', owner: 'local-2' } }));
    lease.stop();

    expect(beats).toEqual(['only']);
  });
});
