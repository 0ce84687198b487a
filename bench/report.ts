/** Figures per policy, world and strategy, the printed table, the JSON and the SVG chart. */
import type { PolicyName } from './policies';
import type { RolloutResult } from './simulate';

export interface Row {
  policy: PolicyName;
  world: string;
  strategy: string;
  trafficPerMinute: number;
  /** The canary is worse than the baseline here (rolling back is right), or identical (promoting is). */
  worse: boolean;
  /** Share of runs rolled back: false rollbacks where the canary is identical, detection where it is worse. */
  rolledBack: number;
  /** Share of runs rolled back because the evidence never came (fledge's insufficientData). */
  rolledBackForData: number;
  promoted: number;
  medianMinutesToRollback: number | null;
  p90MinutesToRollback: number | null;
  /** Failed canary requests before rollback, over the runs that rolled back (null if none did). */
  medianFailedRequests: number | null;
  /**
   * Failed canary requests until the run ended, rollback or promotion, over every run: a policy that
   * promotes a regression early looks cheap here, and pays after promotion, which is not counted.
   */
  medianFailedRequestsAllRuns: number;
  medianRolloutMinutes: number;
}

export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? null;
}

export function summarize(
  key: Pick<Row, 'policy' | 'world' | 'strategy' | 'trafficPerMinute' | 'worse'>,
  runs: readonly RolloutResult[],
): Row {
  const rolledBack = runs.filter((r) => r.outcome === 'rolled-back');
  const share = (n: number) => round(n / Math.max(1, runs.length));
  return {
    ...key,
    rolledBack: share(rolledBack.length),
    rolledBackForData: share(rolledBack.filter((r) => r.forData).length),
    promoted: share(runs.length - rolledBack.length),
    medianMinutesToRollback: quantile(
      rolledBack.map((r) => r.minutes),
      0.5,
    ),
    p90MinutesToRollback: quantile(
      rolledBack.map((r) => r.minutes),
      0.9,
    ),
    medianFailedRequests: quantile(
      rolledBack.map((r) => r.failedRequests),
      0.5,
    ),
    medianFailedRequestsAllRuns:
      quantile(
        runs.map((r) => r.failedRequests),
        0.5,
      ) ?? 0,
    medianRolloutMinutes:
      quantile(
        runs.map((r) => r.minutes),
        0.5,
      ) ?? 0,
  };
}

export function table(rows: readonly Row[]): string {
  const header = [
    'policy',
    'world',
    'canary',
    'strategy',
    'rpm',
    'rolled back',
    'for data',
    'promoted',
    'min→rb p50',
    'p90',
    'failed p50',
    'failed, all runs',
    'rollout p50',
  ];
  const fmt = (v: number | null, pct = false) =>
    v === null ? '-' : pct ? `${(v * 100).toFixed(1)}%` : String(v);
  const lines = rows.map((r) => [
    r.policy,
    r.world,
    r.worse ? 'worse' : 'same',
    r.strategy.replace('10Percent', '10%'),
    String(r.trafficPerMinute),
    fmt(r.rolledBack, true),
    fmt(r.rolledBackForData, true),
    fmt(r.promoted, true),
    fmt(r.medianMinutesToRollback),
    fmt(r.p90MinutesToRollback),
    fmt(r.medianFailedRequests),
    fmt(r.medianFailedRequestsAllRuns),
    fmt(r.medianRolloutMinutes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}

/** Median failed canary requests before rollback, per policy, for each regression scenario. */
export function svgChart(rows: readonly Row[], strategy: string): string {
  const scenarios = ['2x', '4x', '10x', 'low-traffic'];
  const policies = [...new Set(rows.map((r) => r.policy))];
  const colors = ['#1b9e77', '#a6d854', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#666666'];
  const data = rows.filter((r) => r.strategy === strategy && scenarios.includes(r.world));
  const max = Math.max(1, ...data.map((r) => r.medianFailedRequests ?? 0));
  const width = 720;
  const height = 360;
  const groupWidth = (width - 80) / scenarios.length;
  const barWidth = (groupWidth - 20) / policies.length;
  const bars = data.map((r) => {
    const g = scenarios.indexOf(r.world);
    const p = policies.indexOf(r.policy);
    const h = ((height - 90) * (r.medianFailedRequests ?? 0)) / max;
    const x = 60 + g * groupWidth + p * barWidth;
    const y = height - 50 - h;
    return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[p]}"><title>${r.policy} ${r.world}: ${r.medianFailedRequests}</title></rect>`;
  });
  const labels = scenarios.map(
    (s, g) =>
      `<text x="${(60 + g * groupWidth + (groupWidth - 20) / 2).toFixed(1)}" y="${height - 30}" text-anchor="middle">${s}</text>`,
  );
  const legend = policies.map(
    (p, i) =>
      `<rect x="${70 + (i % 3) * 210}" y="${12 + Math.floor(i / 3) * 18}" width="12" height="12" fill="${colors[i]}"/><text x="${88 + (i % 3) * 210}" y="${23 + Math.floor(i / 3) * 18}">${p}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle">median failed canary requests before rollback (${strategy}); max ${max}</text>`,
    `<line x1="55" y1="${height - 50}" x2="${width - 10}" y2="${height - 50}" stroke="black"/>`,
    ...bars,
    ...labels,
    ...legend,
    '</svg>',
  ].join('\n');
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
