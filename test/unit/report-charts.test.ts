/**
 * The report's chart option and HTML without a browser: what appears when the checks carry more
 * evidence (latency, another e-value), what the tooltip says, and that nothing in the data can break
 * out of the page.
 */
import type { SeriesOption } from 'echarts';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../cli/reports/html';
import { chartOption, describe as describeRollout, SERIES, tooltipHtml } from '../../cli/reports/page/charts';
import type { Timeline } from '../../shared/report/timeline';
import { recordRollout } from '../support/rollouts';

let base: Timeline;

beforeAll(async () => {
  base = (await recordRollout('rolled-back')).timeline;
});

const names = (t: Timeline) => (chartOption(t).series as SeriesOption[]).map((s) => s.name);

/** The timeline with extra evidence on every check, as a later analysis might add. */
function withEvidence(extra: (n: number) => Record<string, unknown>): Timeline {
  return {
    ...base,
    checks: base.checks.map((c) => ({
      ...c,
      ...(c.evidence ? { evidence: { ...c.evidence, ...extra(c.n) } } : {}),
    })),
  };
}

describe('the chart option', () => {
  it('has the core panels and no latency panel when no check compared latency', () => {
    expect(names(base)).toEqual([
      SERIES.weight,
      SERIES.checks,
      SERIES.canaryRate,
      SERIES.baselineRate,
      SERIES.canaryRequests,
      SERIES.baselineRequests,
      SERIES.evidence,
      SERIES.threshold,
      SERIES.safety,
      SERIES.safetyThreshold,
    ]);
    expect((chartOption(base).grid as unknown[]).length).toBe(4);
  });

  it('adds a latency panel per statistic, and charts any other e-value the evidence carries', () => {
    const richer = withEvidence((n) => ({
      latency: [
        {
          statistic: 'p99',
          thresholds: { canary: 120, baseline: 100 },
          canary: { samples: 100, slow: n },
          baseline: { samples: 1000, slow: 10 },
          eValue: n / 2,
          threshold: 200,
        },
      ],
      promotion: { eValue: n * 2, threshold: 20 },
    }));

    const option = chartOption(richer);
    const series = option.series as Array<SeriesOption & { data: unknown[] }>;

    expect(names(richer)).toEqual(
      expect.arrayContaining([
        'canary slower than p99 %',
        'baseline slower than p99 %',
        'latency p99 e-value',
        'latency p99 threshold',
        'promotion e-value',
        'promotion threshold',
      ]),
    );
    expect((option.grid as unknown[]).length).toBe(5);
    const promotion = series.find((s) => s.name === 'promotion e-value');
    expect(promotion?.data.map((d) => (d as { value: number[] }).value[1])).toEqual(
      richer.checks.filter((c) => c.evidence).map((c) => c.n * 2),
    );
  });

  it("shows the hovered minute's counts, the weight then, and a check made in that minute", () => {
    const minute = base.minutes[3];
    // Checks run a few seconds after a minute becomes readable (cadence.ts), not on the minute.
    const next = Date.parse(minute?.at ?? '') + 60_000;
    const check = base.checks.find((c) => Date.parse(c.at) >= next && Date.parse(c.at) < next + 60_000);
    if (!minute) throw new Error('no minute');

    const html = tooltipHtml(base, Date.parse(minute.at) + 59_000);
    const atCheck = check ? tooltipHtml(base, Date.parse(check.at)) : '';

    expect(html).toContain(`canary: ${minute.canary.errors} errors / ${minute.canary.requests} requests`);
    expect(html).toContain('weight 10%');
    expect(atCheck).toMatch(new RegExp(`check ${check?.n} at .*: <b>${check?.verdict}</b>`));
    expect(tooltipHtml(base, Date.parse('2026-11-02T09:00:00Z'))).toContain('no counts for this minute');
  });

  it('describes the rollout in words for screen readers', () => {
    expect(describeRollout(base)).toMatch(
      new RegExp(
        `^Rollout of checkout:live from 2 to 3: rolled-back \\(canary error rate .*\\)\\. ${base.checks.length} checks over ${base.minutes.length} minutes of counts, 1 failed; highest canary step 10%\\.$`,
      ),
    );
  });
});

describe('the HTML', () => {
  it('escapes what the data holds, in the page and in the embedded timeline', async () => {
    const hostile = {
      ...base,
      title: '<img src=x onerror=alert(1)>',
      reason: 'hook said </script><script>alert(1)</script>',
    };

    const html = await renderReport(hostile, { generatedAt: new Date('2026-11-02T12:00:00Z') });

    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const json = /id="fledge-timeline">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    expect(JSON.parse(json)).toEqual(hostile);
  });

  it('lists evidence a later analysis adds, in the checks table', async () => {
    const html = await renderReport(withEvidence(() => ({ promotion: { eValue: 7, threshold: 20 } })));

    expect(html).toContain('promotion: {&#34;eValue&#34;:7,&#34;threshold&#34;:20}');
  });
});
