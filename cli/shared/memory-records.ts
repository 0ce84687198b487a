/**
 * Rollout records kept in this process: what `fledge run` uses without a table (FLEDGE_TABLE). They
 * serialize nothing across processes and vanish when the run ends, so an interrupted run restores its
 * own traffic before exiting; `fledge recover` handles one that was killed outright.
 */
import { RequestRefusedError, RolloutInProgressError, TrafficConflictError } from '../../shared/core/errors';
import { mayReplace, type OperatorRequests, pendingCommandRefusal } from '../../shared/core/operator';
import type { RequestChange, RolloutRecords } from '../../shared/core/ports';
import {
  busyReason,
  checkRelease,
  type Executions,
  isActive,
  mayTakeOver,
  type RolloutRecord,
  releaseRefusal,
} from '../../shared/core/record';

export class MemoryRolloutRecords implements RolloutRecords {
  readonly records = new Map<string, RolloutRecord>();
  readonly operator = new Map<string, OperatorRequests>();
  readonly events = new Map<string, string>();

  constructor(private readonly executions: Executions = { describe: async () => ({ status: 'UNKNOWN' }) }) {}

  async acquire(record: RolloutRecord): Promise<void> {
    const holder = this.records.get(record.key);
    if (holder && isActive(holder.status) && holder.owner !== record.owner) {
      const state = await this.executions.describe(holder.owner);
      if (!mayTakeOver(holder, state)) throw new RolloutInProgressError(busyReason(holder, state));
    }
    this.records.set(record.key, structuredClone(record));
  }

  async acquireAll(records: readonly RolloutRecord[]): Promise<void> {
    checkRelease(records);
    const busy: string[] = [];
    for (const record of records) {
      const holder = this.records.get(record.key);
      if (!holder || !isActive(holder.status) || holder.owner === record.owner) continue;
      const state = await this.executions.describe(holder.owner);
      if (!mayTakeOver(holder, state)) busy.push(`${record.label}: ${busyReason(holder, state)}`);
    }
    if (busy.length > 0) throw new RolloutInProgressError(releaseRefusal(busy));
    for (const record of records) this.records.set(record.key, structuredClone(record));
  }

  async save(record: RolloutRecord): Promise<void> {
    const held = this.records.get(record.key);
    if (held?.owner !== record.owner || !isActive(held.status)) {
      throw new TrafficConflictError(
        `${record.label}: this execution (${record.owner}) no longer holds the target (its rollout ended, or another took it over). fledge stopped without writing.`,
      );
    }
    this.records.set(record.key, { ...structuredClone(record), heartbeatAt: held.heartbeatAt });
  }

  async heartbeat(key: string, owner: string, at: string): Promise<void> {
    const held = this.records.get(key);
    if (held?.owner !== owner || !isActive(held.status)) {
      throw new TrafficConflictError(
        `${held?.label ?? key}: this run (${owner}) no longer holds the target (its rollout record was closed or taken over)`,
      );
    }
    held.heartbeatAt = at;
  }

  async finish(record: RolloutRecord): Promise<void> {
    if (this.records.get(record.key)?.owner !== record.owner) return;
    this.records.set(record.key, structuredClone(record));
    this.operator.delete(record.key);
  }

  async requests(key: string): Promise<OperatorRequests> {
    return structuredClone(this.operator.get(key) ?? {});
  }

  async request(key: string, owner: string, change: RequestChange): Promise<void> {
    const held = this.records.get(key);
    if (held?.owner !== owner || !isActive(held.status)) {
      throw new RequestRefusedError(
        'that rollout no longer holds its target (it has ended); nothing was changed',
      );
    }
    const now = this.operator.get(key) ?? {};
    if ('command' in change) {
      const pending = now.command;
      if (pending && pending.id !== change.replacing && !mayReplace(change.command.action, pending))
        throw new RequestRefusedError(pendingCommandRefusal(change.command.action, pending));
      this.operator.set(key, { ...now, command: structuredClone(change.command) });
    } else if ('pause' in change) {
      if (now.pause)
        throw new RequestRefusedError('the rollout is already paused; `fledge resume` lifts the pause');
      this.operator.set(key, { ...now, pause: structuredClone(change.pause) });
    } else {
      if (!now.pause) throw new RequestRefusedError('the rollout is not paused; nothing to resume');
      this.operator.set(key, { ...(now.command ? { command: now.command } : {}) });
    }
  }

  async clearCommand(key: string, id: string): Promise<void> {
    const now = this.operator.get(key);
    if (now?.command?.id === id) this.operator.set(key, { ...(now.pause ? { pause: now.pause } : {}) });
  }

  async get(key: string): Promise<RolloutRecord | undefined> {
    const record = this.records.get(key);
    return record && structuredClone(record);
  }

  async forExecution(owner: string): Promise<RolloutRecord | undefined> {
    const record = [...this.records.values()].find((r) => r.owner === owner);
    return record && structuredClone(record);
  }

  async allForExecution(owner: string): Promise<RolloutRecord[]> {
    return [...this.records.values()].filter((r) => r.owner === owner).map((r) => structuredClone(r));
  }

  async forRelease(name: string): Promise<RolloutRecord | undefined> {
    const named = [...this.records.values()].filter((r) => r.release?.name === name);
    const newest = named.reduce<RolloutRecord | undefined>(
      (a, b) => (a && a.since >= b.since ? a : b),
      undefined,
    );
    const lead = newest && named.find((r) => r.owner === newest.owner && r.key === r.release?.keys[0]);
    return lead && structuredClone(lead);
  }

  async active(): Promise<RolloutRecord[]> {
    return [...this.records.values()].filter((r) => isActive(r.status)).map((r) => structuredClone(r));
  }

  async claimEvent(eventId: string, owner: string): Promise<string | undefined> {
    const earlier = this.events.get(eventId);
    if (earlier && earlier !== owner) return earlier;
    this.events.set(eventId, owner);
    return undefined;
  }

  async releaseEvent(eventId: string, owner: string): Promise<void> {
    if (this.events.get(eventId) === owner) this.events.delete(eventId);
  }
}
