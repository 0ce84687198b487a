/**
 * The report as a person sees it: Debian's Chromium opens the HTML file of a promoted and of a
 * rolled-back rollout (both run on the real state machine), and the test reads what the page drew.
 * Chromium comes from scripts/install-chromium.sh, which npm test's pretest calls; without it this test
 * fails.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../cli/reports/html';
import { SERIES } from '../../cli/reports/page/charts';
import type { Timeline } from '../../shared/report/timeline';
import { type RolloutKind, recordRollout } from '../support/rollouts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As root Chromium needs --no-sandbox; the others keep it from calling out of this closed network.
const FLAGS = [
  '--no-sandbox',
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUT = 'results/report';
const DOCS = 'docs/images';

let browser: Browser | undefined;
let missing: Error | undefined;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  // Each test fails (none is skipped) when Chromium is not there.
  if (!existsSync(CHROMIUM)) {
    missing = new Error(`no Chromium at ${CHROMIUM}: run scripts/install-chromium.sh (or set CHROMIUM_PATH)`);
    return;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  timeline: Timeline;
}

async function open(kind: RolloutKind): Promise<Opened> {
  const { timeline } = await recordRollout(kind);
  const html = await renderReport(timeline, { generatedAt: new Date('2026-11-02T12:00:00Z') });
  const file = join(OUT, `report-${kind}.html`);
  writeFileSync(file, html);
  if (!browser) throw missing ?? new Error('Chromium did not start');
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#fledge-chart svg path', { state: 'attached' });
  expect(errors).toEqual([]);
  // Offline: the page asks for nothing but its own file.
  expect(requests).toEqual([pathToFileURL(file).href]);
  return { page, timeline };
}

/** Every series the chart holds, by name, with its points as [time, value]. */
async function drawnSeries(page: Page): Promise<Record<string, Array<[number, number | null]>>> {
  return page.evaluate(() => {
    const chart = (globalThis as unknown as { fledgeReport: { chart: { getOption(): unknown } } })
      .fledgeReport.chart;
    const option = chart.getOption() as { series: Array<{ name: string; data: unknown[] }> };
    return Object.fromEntries(
      option.series.map((s) => [
        s.name,
        s.data.map(
          (d) => (Array.isArray(d) ? d : (d as { value: unknown }).value) as [number, number | null],
        ),
      ]),
    );
  });
}

/** Moves the mouse onto one point of a series and returns the tooltip's text. */
async function hover(page: Page, seriesName: string, point: [number, number | null]): Promise<string> {
  const pixel = await page.evaluate(
    ([name, value]) => {
      const chart = (
        globalThis as unknown as {
          fledgeReport: { chart: { convertToPixel(f: unknown, v: unknown): number[] } };
        }
      ).fledgeReport.chart;
      return chart.convertToPixel({ seriesName: name }, value);
    },
    [seriesName, point] as const,
  );
  const box = await page.locator('#fledge-chart').boundingBox();
  if (!box || !pixel[0] || pixel[1] === undefined) throw new Error(`no pixel for ${seriesName} ${point}`);
  await page.mouse.move(box.x + pixel[0], box.y + pixel[1]);
  const tooltip = page.locator('.fledge-tooltip');
  await tooltip.waitFor({ state: 'visible' });
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText keeps the rendered line breaks
  return tooltip.innerText();
}

async function screenshot(page: Page, kind: RolloutKind): Promise<void> {
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(OUT, `report-${kind}.png`), fullPage: true });
  // `UPDATE_DOCS_SCREENSHOTS=1 npx vitest run test/browser` refreshes the pictures the docs show.
  if (process.env.UPDATE_DOCS_SCREENSHOTS) {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({
      path: join(DOCS, `report-${kind}.png`),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1200, height: 1250 },
    });
  }
}

const rate = (arm: { requests: number; errors: number }) =>
  arm.requests > 0 ? Number(((arm.errors / arm.requests) * 100).toPrecision(3)) : null;

describe('the report in Chromium', () => {
  it('shows a rolled-back rollout: weight back to 0, the failing check above its threshold, and the counts on hover', async () => {
    const { page, timeline } = await open('rolled-back');

    const series = await drawnSeries(page);
    const minutes = timeline.minutes;
    const failing = timeline.checks.at(-1);

    expect(await page.locator('#fledge-status').textContent()).toBe('rolled back');
    expect(await page.locator('#fledge-reason').textContent()).toMatch(
      /canary error rate is higher than baseline/,
    );
    expect(Object.keys(series)).toEqual(
      expect.arrayContaining([
        SERIES.weight,
        SERIES.checks,
        SERIES.canaryRate,
        SERIES.baselineRate,
        SERIES.canaryRequests,
        SERIES.baselineRequests,
        SERIES.evidence,
        SERIES.threshold,
      ]),
    );
    // 0% at the start, 10%, and 0% from the rollback on: caught during the first step.
    expect(series[SERIES.weight]?.map(([, w]) => w)).toEqual([0, 10, 0]);
    expect(series[SERIES.canaryRate]?.map(([, r]) => r)).toEqual(minutes.map((m) => rate(m.canary)));
    expect(series[SERIES.baselineRequests]?.slice(0, -1).map(([, n]) => n)).toEqual(
      minutes.map((m) => m.baseline.requests),
    );
    expect(failing?.verdict).toBe('fail');
    const test = failing?.evidence?.test;
    expect(test?.eValue).toBeGreaterThanOrEqual(test?.threshold ?? Number.POSITIVE_INFINITY);
    expect(series[SERIES.evidence]?.at(-1)).toEqual([Date.parse(failing?.at ?? ''), test?.eValue]);
    expect(series[SERIES.threshold]?.at(-1)?.[1]).toBe(100);
    // The SVG renderer drew the marks, and the description a screen reader gets names the outcome.
    expect(await page.locator('#fledge-chart svg path').count()).toBeGreaterThan(50);
    expect(await page.locator('#fledge-chart svg text', { hasText: 'Canary weight (%)' }).count()).toBe(1);
    expect(await page.locator('#fledge-chart').getAttribute('aria-label')).toMatch(
      /^Rollout of checkout:live from 2 to 3: rolled-back/,
    );
    // Hovering a minute's point shows that minute's counts.
    const minute = minutes.at(-1);
    if (!minute) throw new Error('the rolled-back rollout recorded no minute');
    const text = await hover(page, SERIES.canaryRate, [Date.parse(minute.at), rate(minute.canary)]);
    expect(text).toContain(`canary: ${minute.canary.errors} errors / ${minute.canary.requests} requests`);
    expect(text).toContain(
      `baseline: ${minute.baseline.errors} errors / ${minute.baseline.requests} requests`,
    );
    // Every check is in the table, the failing one last.
    expect(await page.locator('#fledge-checks tbody tr').count()).toBe(timeline.checks.length);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText keeps the cells apart
    expect(await page.locator('#fledge-checks tbody tr').last().innerText()).toMatch(
      /\tfail\t.*\trollback\t/,
    );
    await screenshot(page, 'rolled-back');
  });

  it('shows a promoted rollout: every step up to 100%, regression evidence below its threshold, promotion evidence reached', async () => {
    const { page, timeline } = await open('promoted');

    const series = await drawnSeries(page);

    expect(await page.locator('#fledge-status').textContent()).toBe('promoted');
    expect(series[SERIES.weight]?.map(([, w]) => w)).toEqual([0, 10, 25, 50, 100]);
    expect(series[SERIES.checks]).toHaveLength(timeline.checks.length);
    const evidence = series[SERIES.evidence] ?? [];
    expect(evidence.length).toBeGreaterThan(5);
    for (const [, e] of evidence) expect(e).toBeLessThan(100);
    const safety = series[SERIES.safety] ?? [];
    const needed = series[SERIES.safetyThreshold]?.at(-1)?.[1] ?? Number.POSITIVE_INFINITY;
    expect(safety.at(-1)?.[1]).toBeGreaterThanOrEqual(needed);
    const minute = timeline.minutes[5];
    if (!minute) throw new Error('the promoted rollout recorded too few minutes');
    const text = await hover(page, SERIES.baselineRate, [Date.parse(minute.at), rate(minute.baseline)]);
    expect(text).toContain(
      `baseline: ${minute.baseline.errors} errors / ${minute.baseline.requests} requests`,
    );
    expect(text).toMatch(/weight 25%/);
    expect(await page.locator('#fledge-weights tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/start\s+0%/),
      expect.stringMatching(/step 1\/3\s+10%/),
      expect.stringMatching(/step 2\/3\s+25%/),
      expect.stringMatching(/step 3\/3\s+50%/),
      expect.stringMatching(/promoted\s+100%/),
    ]);
    await screenshot(page, 'promoted');
  });
});
