/** A stable side's last hour, as Plan reads it, for the forecast's tests. */
import { summarizeHistory } from '../../shared/core/history';

export const HOUR = { start: new Date('2026-12-04T09:00:00Z'), end: new Date('2026-12-04T10:00:00Z') };

/** The stable side's last hour at `rpm` requests a minute and a 0.5% error rate. */
export const priorAt = (rpm: number) =>
  summarizeHistory(
    Array.from({ length: 60 }, (_, i) => ({
      at: new Date(HOUR.start.getTime() + i * 60_000).toISOString(),
      requests: rpm,
      errors: rpm / 200,
    })),
    HOUR,
  );
