import { describe, expect, it } from 'vitest';
import type { PairedMinute } from '../../shared/core/sequential-test';
import {
  conclude,
  errorTest,
  gateVerdict,
  judge,
  latencyTests,
  selectJudgedMinutes,
  splitAlpha,
  validateMinutes,
} from '../../shared/core/verdict';

const T = Date.UTC(2026, 10, 2, 10, 0);
const at = (minute: number) => new Date(T + minute * 60_000).toISOString();
const config = {
  alpha: 0.01,
  beta: 0.01,
  tolerance: 0,
  maxRegression: { ratio: 4, floor: 0.005 },
  minInvocations: 50,
};
const minutes = (count: number, canary: [number, number], baseline: [number, number]): PairedMinute[] =>
  Array.from({ length: count }, (_, i) => ({
    at: at(i),
    canary: { requests: canary[0], errors: canary[1] },
    baseline: { requests: baseline[0], errors: baseline[1] },
  }));
const p99 = { statistic: 'p99', canary: 300, baseline: 300 };
const withLatency = (m: PairedMinute, slow: [number, number]): PairedMinute => ({
  ...m,
  latency: {
    p99: {
      canary: { samples: m.canary.requests, slow: slow[0] },
      baseline: { samples: m.baseline.requests, slow: slow[1] },
    },
  },
});

describe('validateMinutes', () => {
  it('names the arm, the metric and the minute of a count that cannot be a count', () => {
    // Prepare
    const data = minutes(3, [100, 1], [900, 3]);
    data[1] = { ...data[1], canary: { requests: 100.5, errors: 1 } } as PairedMinute;

    // Act
    const message = validateMinutes(data, []);

    // Assess
    expect(message).toBe(
      `canary requests is 100.5 at ${at(1)}: not a whole count; the metric must count requests (Sum per minute)`,
    );
  });

  it('lets the newest minute report errors before its requests, but no earlier minute', () => {
    const newest = minutes(3, [100, 1], [900, 3]);
    newest[2] = { ...newest[2], canary: { requests: 0, errors: 2 } } as PairedMinute;
    const earlier = minutes(3, [100, 1], [900, 3]);
    earlier[1] = { ...earlier[1], canary: { requests: 0, errors: 2 } } as PairedMinute;

    expect(validateMinutes(newest, [])).toBeUndefined();
    expect(validateMinutes(earlier, [])).toMatch(/^canary errors \(2\) exceed its requests \(0\)/);
  });

  it('refuses more slow requests than latency samples', () => {
    const data = minutes(2, [100, 1], [900, 3]).map((m) => withLatency(m, [101, 0]));

    expect(validateMinutes(data, [p99])).toBe(`canary latency p99: 101 slow requests of 100 at ${at(0)}`);
  });
});

describe('gateVerdict', () => {
  it('fails on an alarm before a health check, and is silent when both are clear', () => {
    expect(gateVerdict(['errors-high'], ['hc-1'])?.reason).toBe('alarm in ALARM: errors-high');
    expect(gateVerdict([], ['hc-1'])?.reason).toBe('Route 53 health check unhealthy: hc-1');
    expect(gateVerdict([], [])).toBeUndefined();
  });
});

describe('selectJudgedMinutes', () => {
  it('leaves out a newest minute whose error series has not reported yet', () => {
    const data = minutes(3, [100, 1], [900, 3]);
    data[2] = { ...data[2], missing: ['canary.errors'] } as PairedMinute;

    const judged = selectJudgedMinutes(data, config);

    expect(judged.minutes).toHaveLength(2);
    expect(judged.leftOut?.at).toBe(at(2));
    expect(judged.errorsMissing).toBe(false);
  });

  it('cannot judge errors when an earlier minute has no error datapoint', () => {
    const data = minutes(3, [100, 1], [900, 3]);
    data[0] = { ...data[0], missing: ['baseline.errors'] } as PairedMinute;

    const judged = selectJudgedMinutes(data, config);

    expect(judged.minutes).toHaveLength(3);
    expect(judged.errorsMissing).toBe(true);
    expect(judged.gaps.series).toEqual([{ arm: 'baseline', minutes: 1, served: 3 }]);
  });

  it('judges every minute when errors are published only when non-zero', () => {
    const data = minutes(3, [100, 0], [900, 0]).map((m) => ({ ...m, missing: ['canary.errors'] }));

    const judged = selectJudgedMinutes(data, { ...config, errors: { publishedOnlyWhenNonZero: true } });

    expect(judged.minutes).toHaveLength(3);
    expect(judged.errorsMissing).toBe(false);
  });
});

describe('splitAlpha', () => {
  it('gives errors the whole alpha alone, half of it beside latency, the other half split by statistic', () => {
    expect(splitAlpha(0.01, 0)).toEqual({ errors: 0.01, latency: 0.01 });
    expect(splitAlpha(0.01, 2)).toEqual({ errors: 0.005, latency: 0.0025 });
  });
});

describe('errorTest', () => {
  it('rejects no regression for a canary failing like the baseline, and shows it safe with enough requests', () => {
    const result = errorTest(minutes(10, [500, 2], [500, 2]), config, undefined, 0.01);

    expect(result.regression.rejected).toBe(false);
    expect(result.safety.rejected).toBe(true);
  });

  it('rejects a 4x canary', () => {
    const result = errorTest(minutes(10, [500, 8], [500, 2]), config, undefined, 0.01);

    expect(result.regression.rejected).toBe(true);
    expect(result.safety.rejected).toBe(false);
  });
});

describe('latencyTests', () => {
  it('finds a slower canary, and names an arm that served requests without latency samples', () => {
    const slow = minutes(10, [500, 0], [500, 0]).map((m) => withLatency(m, [50, 5]));
    const silent = minutes(3, [500, 0], [500, 0]);

    const found = latencyTests(slow, [p99], 0.005, undefined);
    const gaps = latencyTests(silent, [p99], 0.005, undefined);

    expect(found.evidence[0]?.eValue).toBeGreaterThanOrEqual(found.evidence[0]?.threshold ?? Infinity);
    expect(found.missing).toEqual([]);
    expect(gaps.missing).toEqual(['canary latency (p99)', 'baseline latency (p99)']);
  });
});

describe('conclude', () => {
  const window = { start: new Date(T), end: new Date(T + 10 * 60_000) };
  const concludeOn = (
    data: PairedMinute[],
    overrides: Partial<typeof config> & { maxErrorRate?: number } = {},
  ) => {
    const input = { window, minutes: data, alarmsInAlarm: [], config: { ...config, ...overrides } };
    const judged = selectJudgedMinutes(data, input.config);
    return conclude({
      input,
      judged,
      errors: errorTest(judged.minutes, input.config, undefined, 0.01),
      latency: { evidence: [], missing: [] },
      alphaErrors: 0.01,
      names: { requests: 'requests', errors: 'errors' },
    });
  };

  it('waits for data before the canary has the minimum of requests', () => {
    const verdict = concludeOn(minutes(1, [20, 0], [500, 1]));

    expect(verdict).toMatchObject({ verdict: 'inconclusive', pending: 'data' });
    expect(verdict.reason).toMatch(/^only 20 canary requests so far; 50 needed/);
  });

  it('fails a canary above maxErrorRate even when the test has not rejected it', () => {
    const verdict = concludeOn(minutes(1, [100, 3], [100, 2]), { maxErrorRate: 0.02 });

    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toBe('canary error rate 3% is above maxErrorRate 2%');
  });

  it('passes only on promotion evidence, and gives the same verdict as judge()', () => {
    const data = minutes(10, [500, 2], [500, 2]);

    const verdict = concludeOn(data);

    expect(verdict.verdict).toBe('pass');
    expect(verdict).toEqual(judge({ window, minutes: data, alarmsInAlarm: [], config }));
  });

  it("says a release's share of alpha and beta (alpha/n, beta/n) in four digits, not a float's seventeen", () => {
    const share = { alpha: 0.01 / 3, beta: 0.01 / 3 };

    const passed = judge({
      window,
      minutes: minutes(10, [500, 2], [500, 2]),
      alarmsInAlarm: [],
      config: { ...config, ...share },
    });
    const failed = judge({
      window,
      minutes: minutes(3, [500, 25], [500, 2]),
      alarmsInAlarm: [],
      config: { ...config, ...share },
    });

    expect(passed.reason).toMatch(/promotion evidence [\d.]+ ≥ 300 \(beta 0\.003333\)$/);
    expect(failed.reason).toMatch(/e-value [\d.]+ ≥ 300 \(alpha 0\.003333\)$/);
  });
});
