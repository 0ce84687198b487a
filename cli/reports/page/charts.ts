/**
 * The report's charts as one ECharts option: stacked panels on one shared time axis (weight, error
 * rate per minute, requests per minute, the evidence of a regression and of safety against their
 * thresholds, and, when the checks carry them, the latency counts), one pointer across all of them, and a tooltip that shows the
 * hovered minute's counts. Pure: the page renders it, and tests read it without a browser.
 */
import type { EChartsOption, SeriesOption, XAXisComponentOption, YAXisComponentOption } from 'echarts';
import type { PairedMinute } from '../../../shared/core/sequential-test';
import type { CheckPoint, Timeline } from '../../../shared/report/timeline';

/** Series names, as the legend, the tooltip and the browser test read them. */
export const SERIES = {
  weight: 'canary weight %',
  checks: 'checks (verdict)',
  canaryRate: 'canary error rate %',
  baselineRate: 'baseline error rate %',
  canaryRequests: 'canary requests',
  baselineRequests: 'baseline requests',
  evidence: 'e-value (evidence of a regression)',
  threshold: 'rollback threshold',
  safety: 'promotion evidence (shown not maxRegression worse)',
  safetyThreshold: 'promotion threshold',
} as const;

/** What an `{ eValue, threshold }` of the evidence is called: the two tests, and one per latency statistic. */
function evidenceNames(key: string): { value: string; threshold: string } {
  if (key === 'test') return { value: SERIES.evidence, threshold: SERIES.threshold };
  if (key === 'safety') return { value: SERIES.safety, threshold: SERIES.safetyThreshold };
  return { value: `${key} e-value`, threshold: `${key} threshold` };
}

/** Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
export const COLORS = {
  canary: '#D55E00',
  baseline: '#0072B2',
  weight: '#009E73',
  threshold: '#000000',
  pass: '#009E73',
  fail: '#D55E00',
  inconclusive: '#777777',
  error: '#CC79A7',
} as const;

/** Verdicts differ in shape as well as colour, so they read in grey print too. */
const VERDICT_SYMBOL: Record<CheckPoint['verdict'], string> = {
  pass: 'circle',
  fail: 'triangle',
  inconclusive: 'emptyCircle',
  error: 'diamond',
};

const MINUTE = 60_000;
const PANEL_HEIGHT = 130;
const PANEL_GAP = 48;
const TOP = 84;

interface Panel {
  title: string;
  yAxis: Partial<YAXisComponentOption>;
  series: SeriesOption[];
}

/** Pixel height the chart needs for its panels. */
export function chartHeight(timeline: Timeline): number {
  return TOP + panels(timeline).length * (PANEL_HEIGHT + PANEL_GAP) + 16;
}

export function chartOption(timeline: Timeline): EChartsOption {
  const list = panels(timeline);
  const [start, end] = timeRange(timeline);
  const grid = list.map((_, i) => ({
    left: 72,
    right: 48,
    top: TOP + i * (PANEL_HEIGHT + PANEL_GAP),
    height: PANEL_HEIGHT,
  }));
  const xAxis: XAXisComponentOption[] = list.map((_, i) => ({
    type: 'time',
    gridIndex: i,
    min: start,
    max: end,
    axisLabel: { show: true, hideOverlap: true },
    splitLine: { show: false },
  }));
  const yAxis = list.map((p, i) => ({
    gridIndex: i,
    name: p.title,
    nameLocation: 'end' as const,
    nameGap: 10,
    nameTextStyle: { align: 'left' as const, fontWeight: 'bold' as const },
    ...p.yAxis,
  })) as YAXisComponentOption[];
  const series = list.flatMap((p, i) =>
    p.series.map((s) => ({ ...s, xAxisIndex: i, yAxisIndex: i }) as SeriesOption),
  );
  return {
    animation: false,
    aria: { enabled: true, label: { description: describe(timeline) }, decal: { show: false } },
    textStyle: { fontFamily: 'system-ui, sans-serif' },
    legend: { top: 0, type: 'plain', left: 64, right: 32 },
    grid,
    xAxis,
    yAxis,
    series,
    axisPointer: { link: [{ xAxisIndex: 'all' }], label: { show: false } },
    tooltip: {
      trigger: 'axis',
      className: 'fledge-tooltip',
      axisPointer: { type: 'line' },
      formatter: (params: unknown) => tooltipHtml(timeline, axisTime(params)),
    },
    dataZoom: [{ type: 'inside', xAxisIndex: list.map((_, i) => i), filterMode: 'none' }],
  };
}

function panels(timeline: Timeline): Panel[] {
  if (timeline.targets) return releasePanels(timeline, timeline.targets);
  const list: Panel[] = [weightPanel(timeline), ratePanel(timeline.minutes), requestsPanel(timeline.minutes)];
  const evidence = evidencePanel(timeline);
  if (evidence) list.push(evidence);
  list.push(...latencyPanels(timeline));
  return list;
}

function weightPanel(timeline: Timeline): Panel {
  const [, end] = timeRange(timeline);
  const points = timeline.weights.map((w) => [ms(w.at), w.weight]);
  const last = timeline.weights.at(-1);
  if (last && ms(last.at) < end) points.push([end, last.weight]);
  const series: SeriesOption[] = [
    {
      name: SERIES.weight,
      type: 'line',
      step: 'end',
      data: points,
      color: COLORS.weight,
      symbolSize: 5,
      lineStyle: { width: 2 },
      areaStyle: { opacity: 0.12 },
      markLine: eventLines(timeline),
    },
    {
      name: SERIES.checks,
      type: 'scatter',
      color: COLORS.inconclusive,
      data: timeline.checks.map((c) => ({
        value: [ms(c.at), c.weight],
        symbol: VERDICT_SYMBOL[c.verdict],
        symbolSize: 11,
        itemStyle: { color: COLORS[c.verdict] },
      })),
    },
  ];
  return { title: 'Canary weight (%)', yAxis: { type: 'value', min: 0, max: 100 }, series };
}

/** Hooks, retries and operator actions as vertical marks, and the outcome at the end. */
function eventLines(timeline: Timeline) {
  const data: Array<Record<string, unknown>> = timeline.events.map((e) => ({
    xAxis: ms(e.at),
    name: e.title,
    lineStyle: { color: e.ok === false ? COLORS.fail : COLORS.inconclusive, type: 'dotted' },
    label: { show: false },
  }));
  if (timeline.endedAt) {
    data.push({
      xAxis: ms(timeline.endedAt),
      name: timeline.status,
      lineStyle: {
        color: timeline.status === 'promoted' ? COLORS.pass : COLORS.fail,
        type: 'solid',
        width: 2,
      },
      label: { show: true, formatter: timeline.status, position: 'insideEndTop' },
    });
  }
  return { symbol: 'none', silent: true, data };
}

/**
 * A release: the weight every target moves by, the evidence and latency of the checks, and a row of
 * panels per target (its error rates, its requests), each titled with the target.
 */
function releasePanels(timeline: Timeline, targets: NonNullable<Timeline['targets']>): Panel[] {
  const list: Panel[] = [weightPanel(timeline)];
  for (const target of targets) {
    list.push(
      ratePanel(target.minutes, `${target.title}: error rate per minute (%)`),
      requestsPanel(target.minutes, `${target.title}: requests per minute (stacked)`),
    );
  }
  const evidence = evidencePanel(timeline);
  if (evidence) list.push(evidence);
  return list;
}

function ratePanel(minutes: Timeline['minutes'], title = 'Error rate per minute (%)'): Panel {
  const line = (name: string, color: string, arm: 'canary' | 'baseline'): SeriesOption => ({
    name,
    type: 'line',
    color,
    symbol: arm === 'canary' ? 'triangle' : 'circle',
    symbolSize: 6,
    connectNulls: false,
    data: minutes.map((m) => [ms(m.at), percent(m[arm])]),
  });
  return {
    title,
    yAxis: { type: 'value', min: 0 },
    series: bothArms(line, SERIES.canaryRate, SERIES.baselineRate),
  };
}

/** One series per arm, canary first, each in its arm's colour. */
function bothArms(
  series: (name: string, color: string, arm: 'canary' | 'baseline') => SeriesOption,
  canaryName: string,
  baselineName: string,
): SeriesOption[] {
  return [series(canaryName, COLORS.canary, 'canary'), series(baselineName, COLORS.baseline, 'baseline')];
}

function requestsPanel(minutes: Timeline['minutes'], title = 'Requests per minute (stacked)'): Panel {
  // Stacked steps, not bars: ECharts pads a time axis that carries bars, which would shift this panel
  // against the others. Each minute's count holds from its start to the next minute.
  const last = minutes.at(-1);
  const area = (name: string, color: string, arm: 'canary' | 'baseline'): SeriesOption => ({
    name,
    type: 'line',
    step: 'end',
    stack: 'requests',
    color,
    symbol: 'none',
    lineStyle: { width: 1 },
    areaStyle: { opacity: 0.35 },
    data: [
      ...minutes.map((m) => [ms(m.at), m[arm].requests]),
      ...(last ? [[ms(last.at) + MINUTE, last[arm].requests]] : []),
    ],
  });
  return {
    title,
    yAxis: { type: 'value', min: 0 },
    series: bothArms(area, SERIES.canaryRequests, SERIES.baselineRequests),
  };
}

/** The smallest e-value drawn: a log axis cannot show 0, which the tooltip and table still give. */
const E_FLOOR = 0.001;

/** The test's e-value against its threshold, plus any other `{ eValue, threshold }` the evidence adds. */
function evidencePanel(timeline: Timeline): Panel | undefined {
  const tests = new Map<string, Array<{ check: CheckPoint; eValue: number; threshold: number }>>();
  for (const check of timeline.checks) {
    const latency = (check.evidence?.latency ?? []).map((l) => [`latency ${l.statistic}`, l] as const);
    for (const [key, value] of [...Object.entries(check.evidence ?? {}), ...latency]) {
      const v = value as { eValue?: unknown; threshold?: unknown } | null;
      if (v && typeof v === 'object' && typeof v.eValue === 'number' && typeof v.threshold === 'number') {
        const list = tests.get(key) ?? [];
        list.push({ check, eValue: v.eValue, threshold: v.threshold });
        tests.set(key, list);
      }
    }
  }
  if (tests.size === 0) return undefined;
  const series: SeriesOption[] = [];
  for (const [key, points] of tests) {
    const main = key === 'test';
    const named = evidenceNames(key);
    series.push(
      {
        name: named.value,
        type: 'line',
        color: main ? COLORS.canary : key === 'safety' ? COLORS.pass : COLORS.error,
        data: points.map((p) => ({
          value: [ms(p.check.at), Math.max(p.eValue, E_FLOOR)],
          symbol: VERDICT_SYMBOL[p.check.verdict],
          symbolSize: 9,
          itemStyle: { color: COLORS[p.check.verdict] },
        })),
      },
      {
        name: named.threshold,
        type: 'line',
        step: 'end',
        color: COLORS.threshold,
        symbol: 'none',
        lineStyle: { type: 'dashed', width: 1.5 },
        data: points.map((p) => [ms(p.check.at), p.threshold]),
      },
    );
  }
  return {
    title:
      'Evidence (e-values against their thresholds, log scale): of a regression, and of safety for promotion',
    yAxis: { type: 'log', min: E_FLOOR },
    series,
  };
}

/**
 * One panel per latency statistic the checks counted (p90, p99, …): the share of each arm's requests
 * slower than its threshold, fixed at Plan from the stable version's last hour.
 */
function latencyPanels(timeline: Timeline): Panel[] {
  const byStatistic = new Map<
    string,
    Array<{ at: number; canary: number | null; baseline: number | null }>
  >();
  const share = (arm: { samples: number; slow: number }) =>
    arm.samples > 0 ? Math.round((arm.slow / arm.samples) * 10_000) / 100 : null;
  for (const check of timeline.checks) {
    for (const l of check.evidence?.latency ?? []) {
      const list = byStatistic.get(l.statistic) ?? [];
      list.push({ at: ms(check.at), canary: share(l.canary), baseline: share(l.baseline) });
      byStatistic.set(l.statistic, list);
    }
  }
  return [...byStatistic].map(([statistic, points]) => ({
    title: `Requests slower than the ${statistic} threshold (%)`,
    yAxis: { type: 'value', min: 0 },
    series: [
      {
        name: `canary slower than ${statistic} %`,
        type: 'line',
        color: COLORS.canary,
        data: points.map((p) => [p.at, p.canary]),
      },
      {
        name: `baseline slower than ${statistic} %`,
        type: 'line',
        color: COLORS.baseline,
        data: points.map((p) => [p.at, p.baseline]),
      },
    ],
  }));
}

/** The tooltip for the hovered time: that minute's counts, the weight then, and a check made then. */
export function tooltipHtml(timeline: Timeline, at: number | undefined): string {
  if (at === undefined) return '';
  const minuteStart = Math.floor(at / MINUTE) * MINUTE;
  const minute = timeline.minutes.find((m) => ms(m.at) === minuteStart);
  const weight = weightAt(timeline, at);
  const check = nearestCheck(timeline, at);
  const lines = [
    `<b>${escapeHtml(clock(minuteStart))} UTC</b>${weight === undefined ? '' : ` · weight ${weight}%`}`,
  ];
  if (minute) {
    lines.push(`canary: ${counts(minute.canary)}`, `baseline: ${counts(minute.baseline)}`);
  } else {
    lines.push('no counts for this minute');
  }
  if (check) {
    const test = check.evidence?.test;
    lines.push(
      `check ${check.n} at ${escapeHtml(clock(ms(check.at)))}: <b>${check.verdict}</b> → ${escapeHtml(check.action)}` +
        (test ? ` (e-value ${test.eValue} / ${test.threshold})` : ''),
    );
  }
  return lines.join('<br>');
}

function counts(arm: PairedMinute['canary']): string {
  const rate = percent(arm);
  return `${arm.errors} errors / ${arm.requests} requests${rate === null ? '' : ` (${rate}%)`}`;
}

function weightAt(timeline: Timeline, at: number): number | undefined {
  let weight: number | undefined;
  for (const w of timeline.weights) if (ms(w.at) <= at) weight = w.weight;
  return weight;
}

function nearestCheck(timeline: Timeline, at: number): CheckPoint | undefined {
  let best: CheckPoint | undefined;
  for (const c of timeline.checks) {
    const distance = Math.abs(ms(c.at) - at);
    if (distance <= MINUTE / 2 && (!best || distance < Math.abs(ms(best.at) - at))) best = c;
  }
  return best;
}

/** The rollout in one paragraph, for screen readers (ECharts puts it in the chart's aria-label). */
export function describe(timeline: Timeline): string {
  const sides =
    timeline.baseline !== undefined ? ` from ${timeline.baseline} to ${timeline.canary ?? '?'}` : '';
  const top = Math.max(0, ...timeline.weights.filter((w) => w.label.startsWith('step')).map((w) => w.weight));
  const fails = timeline.checks.filter((c) => c.verdict === 'fail').length;
  return (
    `Rollout of ${timeline.title}${sides}: ${timeline.status}${timeline.reason ? ` (${timeline.reason})` : ''}. ` +
    `${timeline.checks.length} checks over ${timeline.minutes.length} minutes of counts, ${fails} failed; ` +
    `highest canary step ${top}%.`
  );
}

function timeRange(timeline: Timeline): [number, number] {
  const start = ms(timeline.startedAt);
  const times = [
    ...timeline.weights.map((w) => ms(w.at)),
    ...timeline.checks.map((c) => ms(c.at)),
    ...timeline.minutes.map((m) => ms(m.at) + MINUTE),
    ...timeline.events.map((e) => ms(e.at)),
  ];
  const end = timeline.endedAt ? ms(timeline.endedAt) : Math.max(start + MINUTE, ...times);
  return [start, Math.max(end, start + MINUTE)];
}

/** The hovered time from ECharts' axis-tooltip params. */
function axisTime(params: unknown): number | undefined {
  const first = (Array.isArray(params) ? params[0] : params) as { axisValue?: unknown } | undefined;
  const value = first?.axisValue;
  return typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : undefined;
}

function percent(arm: { requests: number; errors: number }): number | null {
  return arm.requests > 0 ? Number(((arm.errors / arm.requests) * 100).toPrecision(3)) : null;
}

function ms(iso: string): number {
  return Date.parse(iso);
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 16);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
