/**
 * Rollout records kept in this process: what `fledge run` uses without a table (FLEDGE_TABLE). They
 * serialize nothing across processes and vanish when the run ends, so an interrupted run restores its
 * own traffic before exiting; `fledge recover` handles one that was killed outright.
 */
import { RolloutInProgressError, TrafficConflictError } from '../shared/core/errors';
import type { RolloutRecords } from '../shared/core/ports';
import {
  busyReason,
  type Executions,
  isActive,
  mayTakeOver,
  type RolloutRecord,
} from '../shared/core/record';

export class MemoryRolloutRecords implements RolloutRecords {
  readonly records = new Map<string, RolloutRecord>();
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

  async save(record: RolloutRecord): Promise<void> {
    const held = this.records.get(record.key);
    if (held?.owner !== record.owner || !isActive(held.status)) {
      throw new TrafficConflictError(
        `${record.label}: this execution (${record.owner}) no longer holds the target (its rollout ended, or another took it over). fledge stopped without writing.`,
      );
    }
    this.records.set(record.key, structuredClone(record));
  }

  async finish(record: RolloutRecord): Promise<void> {
    if (this.records.get(record.key)?.owner === record.owner)
      this.records.set(record.key, structuredClone(record));
  }

  async get(key: string): Promise<RolloutRecord | undefined> {
    const record = this.records.get(key);
    return record && structuredClone(record);
  }

  async forExecution(owner: string): Promise<RolloutRecord | undefined> {
    const record = [...this.records.values()].find((r) => r.owner === owner);
    return record && structuredClone(record);
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
