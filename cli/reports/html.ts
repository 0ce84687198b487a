/**
 * `fledge report` and `fledge run --report`: one self-contained HTML file per rollout. The charts are
 * Apache ECharts, bundled into the file with the page script (cli/reports/page/), so it opens offline;
 * the summary and the tables are plain HTML, readable without the script.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { readExecutionHistory } from '../../shared/aws/execution-history';
import type { Clock } from '../../shared/core/clock';
import { sideLabel } from '../../shared/core/target-label';
import {
  fromExecutionHistory,
  fromHistoryFile,
  fromLocalRun,
  type LocalEvent,
} from '../../shared/report/history';
import { buildTimeline, type CheckPoint, type RunStatus, type Timeline } from '../../shared/report/timeline';
import type { EventLog } from '../local/runner';
import { readJsonFile } from '../shared/input';

/** Collects a local run's events, stamped with the run's clock, for a report at the end. */
export function recordRun(clock: Clock): {
  onEvent: (event: EventLog) => void;
  timeline: (id: string) => Timeline;
} {
  const events: Array<{ at: string; event: LocalEvent }> = [];
  return {
    onEvent: (event) => events.push({ at: clock.now().toISOString(), event: event as LocalEvent }),
    timeline: (executionId) => buildTimeline(executionId, fromLocalRun(events)),
  };
}

/** The timeline of a deployed execution, from Step Functions' history. */
export async function executionTimeline(executionArn: string, client?: SFNClient): Promise<Timeline> {
  return buildTimeline(executionArn, fromExecutionHistory(await readExecutionHistory(executionArn, client)));
}

/** The timeline from a saved `aws stepfunctions get-execution-history` JSON file. */
export function historyFileTimeline(path: string, executionArn?: string): Timeline {
  const entries = fromHistoryFile(readJsonFile(path, 'history'));
  return buildTimeline(executionArn ?? path, entries);
}

let pageScript: Promise<string> | undefined;

/** The page script with the parts of ECharts it uses, minified; built once per process. */
function bundlePage(): Promise<string> {
  pageScript ??= import('esbuild')
    .then(({ build }) =>
      build({
        entryPoints: [fileURLToPath(new URL('./page/main.ts', import.meta.url))],
        bundle: true,
        minify: true,
        format: 'iife',
        platform: 'browser',
        target: 'es2020',
        write: false,
        legalComments: 'none',
        logLevel: 'silent',
      }),
    )
    .then((result) => result.outputFiles[0]?.text ?? '');
  return pageScript;
}

function echartsVersion(): string {
  return (createRequire(import.meta.url)('echarts/package.json') as { version: string }).version;
}

export interface RenderOptions {
  /** When the report was made (default: now); tests pin it so the file is reproducible. */
  generatedAt?: Date;
}

/** The whole report as one HTML document. */
export async function renderReport(timeline: Timeline, options: RenderOptions = {}): Promise<string> {
  const script = await bundlePage();
  const generatedAt = (options.generatedAt ?? new Date()).toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fledge report">
<title>fledge: ${esc(timeline.title)} ${esc(STATUS_TEXT[timeline.status])}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(timeline.title)} <span class="status status-${timeline.status}" id="fledge-status">${esc(STATUS_TEXT[timeline.status])}</span></h1>
${timeline.reason ? `<p class="reason" id="fledge-reason">${esc(timeline.reason)}</p>` : ''}
${summaryList(timeline, generatedAt)}
</header>
<main>
<section aria-labelledby="charts-title">
<h2 id="charts-title">Timeline</h2>
<p class="hint">One time axis for every panel (UTC). Hover a point for that minute's counts; scroll on the chart to zoom.</p>
<div id="fledge-chart" role="img"></div>
<noscript><p>The charts need JavaScript; the tables below hold the same figures.</p></noscript>
</section>
${stepsTable(timeline)}
${checksTable(timeline)}
${eventsTable(timeline)}
</main>
<footer>
<p>Made by <code>fledge report</code> at ${esc(generatedAt)}. Charts: Apache ECharts ${esc(echartsVersion())} (Apache License 2.0), bundled into this file.</p>
</footer>
<script type="application/json" id="fledge-timeline">${jsonForScript(timeline)}</script>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

const STATUS_TEXT: Record<RunStatus, string> = {
  running: 'running',
  promoted: 'promoted',
  'rolled-back': 'rolled back',
  skipped: 'skipped',
  rejected: 'rejected',
  stopped: 'stopped on a conflict',
  'rollback-failed': 'ROLLBACK FAILED',
  failed: 'failed',
  aborted: 'aborted',
  'timed-out': 'timed out',
};

function summaryList(t: Timeline, generatedAt: string): string {
  // A release's sides name each target already (`checkout:live: 6, cart:live: 11`).
  const side = (id: string | undefined) =>
    id === undefined ? '?' : t.target && !t.targets ? sideLabel(t.target, id) : id;
  const rows: Array<[string, string]> = [];
  if (t.baseline !== undefined || t.canary !== undefined) {
    rows.push(['Release', `${side(t.baseline)} → ${side(t.canary)}`]);
  }
  if (t.strategy !== undefined) rows.push(['Strategy', strategyText(t)]);
  rows.push(['Started', stamp(t.startedAt)]);
  rows.push(['Ended', t.endedAt ? stamp(t.endedAt) : `not yet (as of ${stamp(generatedAt)})`]);
  if (t.endedAt) rows.push(['Duration', duration(Date.parse(t.endedAt) - Date.parse(t.startedAt))]);
  rows.push(['Checks', String(t.checks.length)]);
  const console = consoleUrl(t.executionId);
  rows.push([
    'Execution',
    console
      ? `<a href="${esc(console)}"><code>${esc(t.executionId)}</code></a>`
      : `<code>${esc(t.executionId)}</code>`,
  ]);
  return `<dl class="summary">${rows
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === 'Execution' ? v : esc(v)}</dd>`)
    .join('')}</dl>`;
}

function strategyText(t: Timeline): string {
  const steps = t.steps.map((s) => `${s.weight}% for ${duration(s.bakeSeconds * 1000)}`).join(', ');
  const name = typeof t.strategy === 'string' ? t.strategy : 'custom';
  return steps ? `${name}: ${steps}` : name;
}

function stepsTable(t: Timeline): string {
  if (t.weights.length === 0) return '';
  const rows = t.weights
    .map(
      (w) =>
        `<tr><td>${esc(when(w.at, t))}</td><td>${esc(w.label)}</td><td class="num">${w.weight}%</td></tr>`,
    )
    .join('');
  return `<section aria-labelledby="weights-title"><h2 id="weights-title">Weight changes</h2>
<table id="fledge-weights"><thead><tr><th scope="col">time (UTC)</th><th scope="col">what</th><th scope="col">canary weight</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function checksTable(t: Timeline): string {
  if (t.checks.length === 0) return '<section><h2>Checks</h2><p>No check ran.</p></section>';
  const rows = t.checks.map((c) => checkRow(c, t)).join('');
  return `<section aria-labelledby="checks-title"><h2 id="checks-title">Checks</h2>
<table id="fledge-checks"><thead><tr><th scope="col">#</th><th scope="col">time (UTC)</th><th scope="col">weight</th><th scope="col">verdict</th><th scope="col">canary errors / requests</th><th scope="col">baseline errors / requests</th><th scope="col">e-value / threshold</th><th scope="col">then</th><th scope="col">reason</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function checkRow(c: CheckPoint, t: Timeline): string {
  const e = c.evidence;
  const arm = (a: { errors: number; requests: number; errorRate: number | null } | undefined) =>
    a ? `${a.errors} / ${a.requests}${a.errorRate === null ? '' : ` (${pct(a.errorRate)})`}` : '–';
  const test = e?.test ? `${e.test.eValue} / ${e.test.threshold}` : '–';
  const more = extraEvidence(e);
  return `<tr class="verdict-${c.verdict}"><td class="num">${c.n}</td><td>${esc(when(c.at, t))}</td><td class="num">${c.weight}%</td><td><b>${c.verdict}</b></td><td class="num">${esc(arm(e?.canary))}</td><td class="num">${esc(arm(e?.baseline))}</td><td class="num">${esc(test)}</td><td>${esc(c.action)}</td><td>${esc(c.reason)}${c.actionReason && c.actionReason !== c.reason ? `<br><small>${esc(c.actionReason)}</small>` : ''}${more ? `<br><small>${esc(more)}</small>` : ''}</td></tr>`;
}

/** Evidence beyond counts and the test (latency, promotion evidence, fields added later), in words. */
function extraEvidence(e: CheckPoint['evidence']): string {
  if (!e) return '';
  const parts: string[] = [];
  if (e.safety) {
    const more = e.safety.moreCanaryRequests;
    parts.push(
      `promotion evidence ${e.safety.eValue} of ${e.safety.threshold}${more ? ` (about ${more} more canary requests)` : ''}`,
    );
  }
  for (const l of e.latency ?? []) {
    parts.push(
      `${l.statistic}: canary ${l.canary.slow}/${l.canary.samples} slower than ${l.thresholds.canary}, ` +
        `baseline ${l.baseline.slow}/${l.baseline.samples} slower than ${l.thresholds.baseline}, ` +
        `e-value ${l.eValue} of ${l.threshold}`,
    );
  }
  if (e.missing?.length) parts.push(`missing: ${e.missing.join(', ')}`);
  if (e.alarmsInAlarm?.length) parts.push(`alarms in ALARM: ${e.alarmsInAlarm.join(', ')}`);
  if (e.unhealthyChecks?.length) parts.push(`unhealthy health checks: ${e.unhealthyChecks.join(', ')}`);
  const known = new Set([
    'window',
    'minutes',
    'safety',
    'missing',
    'canary',
    'baseline',
    'test',
    'latency',
    'alarmsInAlarm',
    'unhealthyChecks',
  ]);
  for (const [key, value] of Object.entries(e)) {
    if (!known.has(key) && value !== undefined) parts.push(`${key}: ${JSON.stringify(value)}`);
  }
  return parts.join('; ');
}

function eventsTable(t: Timeline): string {
  if (t.events.length === 0) return '';
  const rows = t.events
    .map(
      (e) =>
        `<tr class="${e.ok === false ? 'bad' : ''}"><td>${esc(when(e.at, t))}</td><td>${esc(e.kind)}</td><td>${esc(e.title)}${e.detail ? `<br><small>${esc(e.detail)}</small>` : ''}</td></tr>`,
    )
    .join('');
  return `<section aria-labelledby="events-title"><h2 id="events-title">Hooks, gates, operator actions and retries</h2>
<table id="fledge-events"><thead><tr><th scope="col">time (UTC)</th><th scope="col">kind</th><th scope="col">what</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The Step Functions console page of a deployed execution; none for local runs. */
export function consoleUrl(executionArn: string): string | undefined {
  const [, partition, service, region, account] = executionArn.split(':');
  if (service !== 'states' || !region || account === '000000000000') return undefined;
  const host =
    partition === 'aws-cn'
      ? 'console.amazonaws.cn'
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : 'console.aws.amazon.com';
  return `https://${region}.${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** `2026-11-02 10:00:00 UTC` */
function stamp(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A time in a table: the time of day when on the rollout's first day, else date and time. */
function when(iso: string, t: Timeline): string {
  return iso.slice(0, 10) === t.startedAt.slice(0, 10)
    ? iso.slice(11, 19)
    : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function duration(msTotal: number): string {
  const minutes = Math.round(msTotal / 60_000);
  if (minutes < 1) return `${Math.round(msTotal / 1000)} s`;
  return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot close its <script> element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const CSS = `
:root { color-scheme: light; --fail: #D55E00; --pass: #009E73; --muted: #555; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 24px; color: #111; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.status { font-size: 14px; padding: 2px 10px; border-radius: 12px; vertical-align: middle; color: #fff; background: #555; }
.status-promoted { background: var(--pass); } .status-rolled-back, .status-rollback-failed, .status-failed, .status-stopped, .status-aborted, .status-timed-out { background: var(--fail); }
.status-running { background: #0072B2; }
.reason { margin: 4px 0 12px; font-size: 15px; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
.summary dt { color: var(--muted); } .summary dd { margin: 0; }
.hint { color: var(--muted); margin: 0 0 8px; }
#fledge-chart { width: 100%; min-height: 200px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.verdict-fail td, tr.bad td { background: #fdece4; }
small { color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
.fledge-tooltip { font-variant-numeric: tabular-nums; }
@media print { #fledge-chart { break-inside: avoid; } }
`;
