/**
 * The simulated worlds of the policy benchmark: per-minute traffic split by the canary weight, errors
 * (binomial, in bursts, or negative binomial), latency (lognormal durations), CloudWatch's partly reported
 * newest minute, and the stable version's hour before the rollout. Pure, seeded.
 */
import beta from '@stdlib/random-base-beta';
import binomial from '@stdlib/random-base-binomial';
import negativeBinomial from '@stdlib/random-base-negative-binomial';
import poisson from '@stdlib/random-base-poisson';
import uniform from '@stdlib/random-base-uniform';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import type { SideMinute } from '../shared/core/history';
import type { LatencyCounts } from '../shared/core/sequential-test';
import type { LatencyThreshold } from '../shared/core/verdict';

export type ErrorModel =
  | { kind: 'binomial' }
  /** Errors arrive in bursts of `size`, each burst on one arm; same mean rate. */
  | { kind: 'bursts'; size: number }
  /** Each arm's errors per minute are negative binomial with this shape (variance μ + μ²/shape). */
  | { kind: 'negbin'; shape: number };

export interface World {
  name: string;
  baselineRate: number;
  /** The stable version's rate over the hour before the rollout, when it differs from its rate during it. */
  historyRate?: number;
  canaryRate: number;
  trafficPerMinute: number;
  errors: ErrorModel;
  /** Lognormal durations (median 100 ms) with this sigma; the canary's are `canarySlowdown` times longer. */
  latency?: { sigma: number; canarySlowdown: number };
  /** The canary's error series never reports (a misnamed metric, or one published only when non-zero). */
  canaryErrorsMissing?: boolean;
  /** What a good policy does here: roll back (a worse canary) or promote (an identical one). */
  worse: boolean;
}

export const BASELINE_RATE = 0.005;
const BINOMIAL: ErrorModel = { kind: 'binomial' };

const world = (name: string, canaryRate: number, extra: Partial<World> = {}): World => ({
  name,
  baselineRate: BASELINE_RATE,
  canaryRate,
  trafficPerMinute: 1000,
  errors: BINOMIAL,
  worse: canaryRate > (extra.baselineRate ?? BASELINE_RATE),
  ...extra,
});

/** A canary exactly at the default maxRegression: max(ratio × b, b + floor). */
export function atMaxRegression(ratio: number, floor: number, traffic: number): World {
  return world(`max-regression@${traffic}`, Math.max(ratio * BASELINE_RATE, BASELINE_RATE + floor), {
    trafficPerMinute: traffic,
  });
}

/** Every world of the benchmark except the max-regression ones, which depend on fledge's default. */
export const WORLDS: World[] = [
  world('healthy', BASELINE_RATE),
  world('2x', 2 * BASELINE_RATE),
  world('4x', 4 * BASELINE_RATE),
  world('10x', 10 * BASELINE_RATE),
  // A quiet function: 50 requests a minute.
  world('healthy@50', BASELINE_RATE, { trafficPerMinute: 50 }),
  world('low-traffic', 4 * BASELINE_RATE, { trafficPerMinute: 50 }),
  world('bursts-3', BASELINE_RATE, { errors: { kind: 'bursts', size: 3 } }),
  world('bursts-10', BASELINE_RATE, { errors: { kind: 'bursts', size: 10 } }),
  world('negbin-3', BASELINE_RATE, { errors: { kind: 'negbin', shape: 3 } }),
  world('negbin-1', BASELINE_RATE, { errors: { kind: 'negbin', shape: 1 } }),
  // A new failure mode (0.5% of requests) against a baseline that never fails.
  world('new-failure', BASELINE_RATE, { baselineRate: 0, worse: true }),
  // A 4x canary whose error series is missing: only its requests are published.
  world('missing-errors', 4 * BASELINE_RATE, { canaryErrorsMissing: true }),
  world('latency-σ0.5', BASELINE_RATE, { latency: { sigma: 0.5, canarySlowdown: 1 } }),
  world('latency-σ1', BASELINE_RATE, { latency: { sigma: 1, canarySlowdown: 1 } }),
  world('slowdown-1.5x', BASELINE_RATE, { latency: { sigma: 0.5, canarySlowdown: 1.5 }, worse: true }),
];

/**
 * Worlds where the stable version's rate during the rollout is not its rate over Plan's hour, which the
 * history part of the promotion evidence (analysis.historyEvidence) assumes. After the others, so that
 * every other row keeps its seed.
 */
export const DRIFT_WORLDS: World[] = [
  // The stable version failed at 0.5% over Plan's hour and at half that once the rollout began; the canary
  // fails at maxRegression × that (1%): worse, though not against the hour. The history part's assumption
  // broken in the direction that could promote it.
  world('baseline-fell', 4 * (BASELINE_RATE / 2), {
    baselineRate: BASELINE_RATE / 2,
    historyRate: BASELINE_RATE,
  }),
  // The other way: the stable version failed at 0.25% over the hour and 0.5% during the rollout; the canary
  // is as good as it. Only the same-minute comparison can promote it.
  world('baseline-rose', BASELINE_RATE, { historyRate: BASELINE_RATE / 2 }),
];

/** One minute as CloudWatch reports it (without its timestamp). */
export interface Minute {
  canary: { requests: number; errors: number };
  baseline: { requests: number; errors: number };
  missing?: string[];
  latency?: Record<string, { canary: LatencyCounts; baseline: LatencyCounts }>;
  /** Each arm's p99 duration over the minute, as CloudWatch's p99 statistic shows it (the anchors' view). */
  p99?: { canary: number | null; baseline: number | null };
}

/** How much of the newest readable minute (ended one minute before the check) is reported. */
export const PARTIAL_REPORTING = { min: 0.5, max: 0.9 } as const;

/** Minutes of the stable version's history that Plan reads. */
export const HISTORY_MINUTES = 60;

const MEDIAN_MS = 100;

/** The seeded random sources of one benchmark row. */
export interface Draws {
  binomial: (n: number, p: number) => number;
  poisson: (mean: number) => number;
  negativeBinomial: (r: number, p: number) => number;
  beta: (a: number, b: number) => number;
  uniform: (a: number, b: number) => number;
  hypergeometric: (population: number, successes: number, drawn: number) => number;
}

export function draws(seed: number): Draws {
  const unit = uniform.factory(0, 1, { seed: seed + 5 });
  const large = binomial.factory({ seed });
  return {
    binomial: (n, p) => fastBinomial(unit, large, n, p),
    poisson: poisson.factory({ seed: seed + 1 }),
    negativeBinomial: negativeBinomial.factory({ seed: seed + 2 }),
    beta: beta.factory({ seed: seed + 3 }),
    uniform: uniform.factory({ seed: seed + 4 }),
    hypergeometric: (population, successes, drawn) => hypergeometric(unit, population, successes, drawn),
  };
}

/**
 * Binomial draws: by inversion of the CDF when the mean is small (expected steps ≈ mean), else @stdlib's
 * (which for small means draws n Bernoulli trials, the benchmark's main cost).
 */
function fastBinomial(
  unit: () => number,
  large: (n: number, p: number) => number,
  n: number,
  p: number,
): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - fastBinomial(unit, large, n, 1 - p);
  if (n * p > 30) return large(n, p);
  const odds = p / (1 - p);
  let pmf = (1 - p) ** n;
  let cdf = pmf;
  const u = unit();
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * odds;
    k += 1;
    cdf += pmf;
  }
  return k;
}

/**
 * How many of `successes` marked items are among `drawn` taken without replacement from `population`:
 * each marked item in turn is drawn with the chance left. Exact; O(successes). (@stdlib's sampler returns
 * 0 or all for some parameters, e.g. (1000, 6, 700).)
 */
function hypergeometric(unit: () => number, population: number, successes: number, drawn: number): number {
  let left = population;
  let toDraw = drawn;
  let hits = 0;
  for (let i = 0; i < successes && toDraw > 0; i++) {
    if (unit() < toDraw / left) {
      hits += 1;
      toDraw -= 1;
    }
    left -= 1;
  }
  return hits;
}

/**
 * One rollout's world: what CloudWatch would answer Plan about the stable version's last hour, then each
 * minute of the rollout at the canary's share, counting slow requests against the thresholds Plan fixed.
 */
export class WorldRun {
  #thresholds: readonly LatencyThreshold[] = [];

  constructor(
    readonly world: World,
    private readonly draw: Draws,
  ) {}

  /** The stable version's percentile (e.g. p99) over its last hour, as CloudWatch estimates it. */
  statistic(statistic: string): number | null {
    return this.samplePercentile(
      HISTORY_MINUTES * this.world.trafficPerMinute,
      Number(statistic.slice(1)) / 100,
      1,
    );
  }

  /** The q-quantile of n durations: the k-th of n ordered samples is F⁻¹(U) with U ~ Beta(k, n + 1 − k). */
  private samplePercentile(n: number, q: number, slowdown: number): number | null {
    const latency = this.world.latency;
    if (!latency || n <= 0) return null;
    const k = Math.max(1, Math.ceil(q * n));
    const u = this.draw.beta(k, n + 1 - k);
    return MEDIAN_MS * slowdown * Math.exp(latency.sigma * normalQuantile(u, 0, 1));
  }

  /** Sets the thresholds the rollout's minutes count slow requests against. */
  useThresholds(thresholds: readonly LatencyThreshold[]): void {
    this.#thresholds = thresholds;
  }

  /** The stable version's last hour, all traffic on it, minute by minute. */
  lastHour(): SideMinute[] {
    const out: SideMinute[] = [];
    for (let i = 0; i < HISTORY_MINUTES; i++) {
      const requests = this.world.trafficPerMinute;
      const errors = this.errors(requests, this.world.historyRate ?? this.world.baselineRate);
      const latency = this.slow(requests, 1, 'baseline');
      out.push({
        at: String(i),
        requests,
        errors,
        ...(latency ? { latency: Object.fromEntries(Object.entries(latency)) } : {}),
      });
    }
    return out;
  }

  /** One minute of the rollout with the canary at `share`, as finally reported. */
  minute(share: number): Minute {
    const n = this.world.trafficPerMinute;
    const canaryRequests = share <= 0 ? 0 : share >= 1 ? n : this.draw.binomial(n, share);
    const baselineRequests = n - canaryRequests;
    const canaryLatency = this.slow(canaryRequests, this.world.latency?.canarySlowdown ?? 1, 'canary');
    const baselineLatency = this.slow(baselineRequests, 1, 'baseline');
    const minute: Minute = {
      canary: { requests: canaryRequests, errors: this.errors(canaryRequests, this.world.canaryRate) },
      baseline: {
        requests: baselineRequests,
        errors: this.errors(baselineRequests, this.world.baselineRate),
      },
    };
    if (this.world.latency) {
      minute.p99 = {
        canary: this.samplePercentile(canaryRequests, 0.99, this.world.latency.canarySlowdown),
        baseline: this.samplePercentile(baselineRequests, 0.99, 1),
      };
    }
    if (canaryLatency && baselineLatency) {
      minute.latency = Object.fromEntries(
        this.#thresholds.map((t) => [
          t.statistic,
          {
            canary: canaryLatency[t.statistic] ?? { samples: 0, slow: 0 },
            baseline: baselineLatency[t.statistic] ?? { samples: 0, slow: 0 },
          },
        ]),
      );
    }
    return minute;
  }

  /**
   * What CloudWatch shows of a minute: its error series for the canary possibly missing, and when it is
   * the newest minute, only a fraction of each arm's requests, each reported with its outcome.
   */
  view(minute: Minute, partial: boolean): Minute {
    const shown: Minute = partial ? this.thin(minute) : minute;
    if (!this.world.canaryErrorsMissing || shown.canary.requests === 0) return shown;
    return { ...shown, canary: { ...shown.canary, errors: 0 }, missing: ['canary.errors'] };
  }

  private thin(minute: Minute): Minute {
    const canary = this.report(minute.canary.requests);
    const baseline = this.report(minute.baseline.requests);
    const out: Minute = {
      canary: { requests: canary, errors: this.pick(minute.canary.requests, minute.canary.errors, canary) },
      baseline: {
        requests: baseline,
        errors: this.pick(minute.baseline.requests, minute.baseline.errors, baseline),
      },
    };
    if (minute.latency) {
      const latency: NonNullable<Minute['latency']> = {};
      for (const [statistic, l] of Object.entries(minute.latency)) {
        latency[statistic] = {
          canary: { samples: canary, slow: this.pick(minute.canary.requests, l.canary.slow, canary) },
          baseline: {
            samples: baseline,
            slow: this.pick(minute.baseline.requests, l.baseline.slow, baseline),
          },
        };
      }
      out.latency = latency;
    }
    return out;
  }

  /** How many of an arm's requests the partly reported minute shows: a fraction drawn per arm. */
  private report(requests: number): number {
    if (requests <= 0) return 0;
    return this.draw.binomial(requests, this.draw.uniform(PARTIAL_REPORTING.min, PARTIAL_REPORTING.max));
  }

  /** How many of `count` marked requests (errors, slow ones) are among the `reported` of `requests`. */
  private pick(requests: number, count: number, reported: number): number {
    return count > 0 && reported > 0 ? this.draw.hypergeometric(requests, count, reported) : 0;
  }

  private errors(requests: number, rate: number): number {
    if (requests <= 0 || rate <= 0) return 0;
    const mean = requests * rate;
    const model = this.world.errors;
    if (model.kind === 'binomial') return this.draw.binomial(requests, rate);
    if (model.kind === 'bursts') return Math.min(requests, model.size * this.draw.poisson(mean / model.size));
    return Math.min(requests, this.draw.negativeBinomial(model.shape, model.shape / (model.shape + mean)));
  }

  /** Requests slower than each statistic's threshold for this arm, nested (p99's slow ⊂ p90's). */
  private slow(
    requests: number,
    slowdown: number,
    arm: 'canary' | 'baseline',
  ): Record<string, LatencyCounts> | undefined {
    const latency = this.world.latency;
    if (!latency || this.#thresholds.length === 0) return undefined;
    const ordered = [...this.#thresholds].sort((a, b) => a[arm] - b[arm]);
    const out: Record<string, LatencyCounts> = {};
    let pool = requests;
    let poolP = 1;
    for (const t of ordered) {
      const p = 1 - normalCdf(Math.log(t[arm] / (MEDIAN_MS * slowdown)) / latency.sigma, 0, 1);
      const slow = pool > 0 && poolP > 0 ? this.draw.binomial(pool, Math.min(1, p / poolP)) : 0;
      out[t.statistic] = { samples: requests, slow };
      pool = slow;
      poolP = p;
    }
    return out;
  }
}
