/**
 * A local run's lease on its rollout record: once Plan has taken the target, a heartbeat every
 * HEARTBEAT_SECONDS (wall clock, whatever clock the run is on) says the run is alive, so `fledge recover`
 * and the recover sweep leave its target alone (shared/core/record.ts, localRunLease). When the heartbeat
 * finds the record no longer the run's (closed by `fledge recover --force`, say), the run is told, at once
 * rather than at its next traffic write.
 */

import type { RolloutRecords } from '../../shared/core/ports';
import { HEARTBEAT_SECONDS } from '../../shared/core/record';
import type { EventLog } from './runner';

export interface Lease {
  /** Feeds the run's events: the lease starts once Plan has taken the target. */
  observe(event: EventLog): void;
  stop(): void;
}

export function holdLease(
  records: Pick<RolloutRecords, 'heartbeat'>,
  onTaken: (reason: string) => void,
  options: { intervalMs?: number; now?: () => Date } = {},
): Lease {
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (timer) clearInterval(timer);
  };
  const beat = async (key: string, owner: string) => {
    try {
      await records.heartbeat(key, owner, now().toISOString());
    } catch (error) {
      if (stopped || (error as Error).name !== 'TrafficConflictError') return; // a missed beat; the next one
      stop();
      onTaken(`the target was taken from this run: ${(error as Error).message}`);
    }
  };
  return {
    observe(event) {
      if (timer || stopped || event.type !== 'StateExited' || event.state.name !== 'Plan') return;
      const rollout = (
        event.state.output as
          | {
              rollout?: { record?: { key: string; owner: string }; release?: { members: { key: string }[] } };
            }
          | undefined
      )?.rollout;
      const held = rollout?.record;
      if (!held) return;
      // A release holds every target's record: each has its lease, so none looks abandoned.
      const keys = rollout.release?.members.map((m) => m.key) ?? [held.key];
      const beatAll = () => {
        for (const key of keys) void beat(key, held.owner);
      };
      beatAll();
      timer = setInterval(beatAll, options.intervalMs ?? HEARTBEAT_SECONDS * 1000);
      timer.unref();
    },
    stop,
  };
}
