/**
 * Traffic-shifting strategies: CodeDeploy's predefined configurations and custom step lists, resolved
 * to one plain schedule. Pure: no SDK, no clock.
 */

/** One step of a schedule: route `weight` percent to the canary, then bake for `bakeSeconds`. */
export interface Step {
  weight: number;
  bakeSeconds: number;
  /** After this step, wait for `fledge approve` before going on (an approval gate). */
  approve?: boolean;
  /**
   * A rung of an adaptive ramp (strategy "Adaptive"): the rollout promotes from it as soon as the
   * promotion evidence is in, and leaves it only after this many canary requests were read at it.
   */
  adaptive?: { minRequests: number };
}

export interface CustomStrategy {
  steps: Array<{ weight: number; bakeMinutes: number; approve?: boolean | undefined }>;
}

/** The bounds of an adaptive ramp: where it starts, its largest step, shortest bake, least requests a step. */
export interface AdaptiveBounds {
  initialWeight: number;
  maxStepWeight: number;
  minBakeMinutes: number;
  minRequestsPerStep: number;
}

export interface AdaptiveStrategy {
  adaptive: Partial<AdaptiveBounds>;
}

export type StrategyInput = string | CustomStrategy | AdaptiveStrategy;

/**
 * "Adaptive"'s bounds: start at 8%, at most triple or add 50 points a step (8, 24, 72%), bake at least a
 * minute, and read at least 25 canary requests at a weight before raising it. Measured in docs/ANALYSIS.md
 * ("The adaptive ramp"): the fastest healthy promotion that keeps a 4x canary's failed requests ≤ 18.
 */
export const ADAPTIVE_DEFAULTS: AdaptiveBounds = {
  initialWeight: 8,
  maxStepWeight: 50,
  minBakeMinutes: 1,
  minRequestsPerStep: 25,
};

/** Each rung of an adaptive ramp is at most this many times the one before. */
export const RUNG_FACTOR = 3;

/**
 * No rung is above this weight: the stable version keeps a fifth of the traffic, so that the same-minute
 * comparison can still tell a canary that leans worse. Above it (a rung of 90 or 95%) the baseline is
 * too quiet for the rollback evidence to settle, and healthy canaries were held there until rolled back
 * for want of evidence (docs/ANALYSIS.md).
 */
export const TOP_RUNG = 80;

/**
 * The rungs of an adaptive ramp: from the initial weight, each at most RUNG_FACTOR times the one before and at most
 * maxStepWeight above it, up to the last rung below 100. The decision (decide()) climbs them one at a
 * time, only while the evidence at the current rung allows, and promotes from any rung once the promotion
 * evidence is in.
 */
export function adaptiveRamp(bounds: AdaptiveBounds): Step[] {
  const { initialWeight, maxStepWeight, minBakeMinutes, minRequestsPerStep } = bounds;
  const bakeSeconds = Math.round(minBakeMinutes * 60);
  const steps: Step[] = [];
  for (let weight = initialWeight; weight < 100; ) {
    steps.push({ weight, bakeSeconds, adaptive: { minRequests: minRequestsPerStep } });
    const next = roundWeight(Math.min(weight * RUNG_FACTOR, weight + maxStepWeight));
    if (next >= 100 || weight >= TOP_RUNG) break;
    weight = Math.min(next, TOP_RUNG);
  }
  return steps;
}

/** The steps are an adaptive ramp's rungs (strategy "Adaptive"). */
export function isAdaptive(steps: readonly Step[]): boolean {
  return steps.some((step) => step.adaptive !== undefined);
}

/**
 * A step's weight is a percentage with at most this many decimals (steps of 0.001%). The rollout state
 * records each applied weight at this precision, and the Lambda-alias router checks the alias against
 * what was recorded before every write: a finer weight would read back as a change nobody made.
 */
export const WEIGHT_DECIMALS = 3;

/** A canary percentage at the precision the rollout state records it. */
export function roundWeight(percent: number): number {
  const scale = 10 ** WEIGHT_DECIMALS;
  return Math.round(percent * scale) / scale;
}

/** The weight has more decimals than a rollout records (33.3333 would be recorded as 33.333). */
export function finerThanRecorded(percent: number): boolean {
  const scaled = percent * 10 ** WEIGHT_DECIMALS;
  // Float noise (33.333 * 1000 = 33333.000000000004) is not a fourth decimal.
  return Math.abs(scaled - Math.round(scaled)) > 1e-6;
}

/** CodeDeploy's predefined Lambda configurations, without the `CodeDeployDefault.Lambda` prefix. */
export const PREDEFINED_STRATEGIES = [
  'Canary10Percent5Minutes',
  'Canary10Percent10Minutes',
  'Canary10Percent15Minutes',
  'Canary10Percent30Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery2Minutes',
  'Linear10PercentEvery3Minutes',
  'Linear10PercentEvery10Minutes',
  'AllAtOnce',
] as const;

export const DEFAULT_STRATEGY = 'Canary10Percent5Minutes';

const PREFIX = 'CodeDeployDefault.Lambda';
const CANARY = /^Canary(\d+)Percent(\d+)Minutes?$/;
const LINEAR = /^Linear(\d+)PercentEvery(\d+)Minutes?$/;

/**
 * Resolves a strategy to its steps. Promotion (100%) follows the last step; `AllAtOnce` has no step.
 * Besides the predefined names, any `CanaryXPercentYMinutes` / `LinearXPercentEveryYMinutes` works,
 * as CodeDeploy's custom configurations do.
 * @throws RangeError with a message naming the offending value.
 */
export function resolveStrategy(strategy: StrategyInput = DEFAULT_STRATEGY): Step[] {
  if (typeof strategy !== 'string') {
    return 'adaptive' in strategy ? adaptiveRamp(adaptiveBounds(strategy.adaptive)) : customSteps(strategy);
  }
  if (strategy === 'Adaptive') return adaptiveRamp(ADAPTIVE_DEFAULTS);
  const name = strategy.startsWith(PREFIX) ? strategy.slice(PREFIX.length) : strategy;
  if (name === 'AllAtOnce') return [];
  const canary = CANARY.exec(name);
  if (canary) {
    const weight = percent(canary[1], strategy);
    const bake = minutes(canary[2], strategy);
    spelledAsCodeDeploy(name, `Canary${weight}Percent${bake}${minuteUnit(bake)}`, strategy);
    return [{ weight, bakeSeconds: bake * 60 }];
  }
  const linear = LINEAR.exec(name);
  if (linear) {
    const increment = percent(linear[1], strategy);
    const every = minutes(linear[2], strategy);
    spelledAsCodeDeploy(name, `Linear${increment}PercentEvery${every}${minuteUnit(every)}`, strategy);
    const bakeSeconds = every * 60;
    const steps: Step[] = [];
    for (let weight = increment; weight < 100; weight += increment) steps.push({ weight, bakeSeconds });
    return steps;
  }
  throw new RangeError(
    `strategy '${strategy}' is not known; use one of ${PREDEFINED_STRATEGIES.join(', ')}, Adaptive ` +
      `(optionally prefixed '${PREFIX}'), or {"steps":[{"weight":5,"bakeMinutes":2}]}`,
  );
}

/** The given bounds over the defaults; a bound out of range is refused, naming it. */
export function adaptiveBounds(given: Partial<AdaptiveBounds>): AdaptiveBounds {
  const bounds = { ...ADAPTIVE_DEFAULTS, ...given };
  const { initialWeight, maxStepWeight, minBakeMinutes, minRequestsPerStep } = bounds;
  if (!(initialWeight > 0 && initialWeight < 100) || finerThanRecorded(initialWeight)) {
    throw new RangeError(
      `strategy.adaptive.initialWeight is ${initialWeight}; it must be above 0 and below 100, with at most ${WEIGHT_DECIMALS} decimals`,
    );
  }
  if (!(maxStepWeight > 0 && maxStepWeight <= 100)) {
    throw new RangeError(
      `strategy.adaptive.maxStepWeight is ${maxStepWeight}; it must be above 0 and at most 100`,
    );
  }
  if (!(minBakeMinutes > 0 && minBakeMinutes <= 2880)) {
    throw new RangeError(
      `strategy.adaptive.minBakeMinutes is ${minBakeMinutes}; it must be above 0 and at most 2880`,
    );
  }
  if (!(Number.isInteger(minRequestsPerStep) && minRequestsPerStep >= 0)) {
    throw new RangeError(
      `strategy.adaptive.minRequestsPerStep is ${minRequestsPerStep}; it must be a whole number, 0 or more`,
    );
  }
  return bounds;
}

function customSteps(strategy: CustomStrategy): Step[] {
  let previous = 0;
  return strategy.steps.map((step, i) => {
    if (!(step.weight > previous && step.weight < 100)) {
      throw new RangeError(
        `strategy.steps[${i}].weight is ${step.weight}; weights must rise strictly and stay below 100 ` +
          `(promotion to 100 follows the last step)`,
      );
    }
    if (!(step.bakeMinutes > 0)) {
      throw new RangeError(`strategy.steps[${i}].bakeMinutes is ${step.bakeMinutes}; it must be above 0`);
    }
    previous = step.weight;
    return {
      weight: step.weight,
      bakeSeconds: Math.round(step.bakeMinutes * 60),
      ...(step.approve ? { approve: true } : {}),
    };
  });
}

/** Why a weight with more decimals than a rollout records is refused (after the field's name). */
export function tooFine(weight: number): string {
  const nearest = Math.max(roundWeight(weight), 10 ** -WEIGHT_DECIMALS);
  return (
    `${weight} has more than ${WEIGHT_DECIMALS} decimals; traffic moves in steps of 0.001%, and a finer ` +
    `weight would read back at the next step as a change someone else made. Use e.g. ${nearest}`
  );
}

/** CodeDeploy's spelling: `Linear10PercentEvery1Minute`, `Canary10Percent5Minutes`. */
function minuteUnit(count: number): string {
  return count === 1 ? 'Minute' : 'Minutes';
}

/**
 * Refuses a name that only looks like a CodeDeploy configuration (`Canary10Percent5Minute`,
 * `Linear010PercentEvery1Minutes`): a typo in a strategy is more likely a mistake than a wish, and a
 * pipeline that copied it to CodeDeploy would be refused there.
 */
function spelledAsCodeDeploy(name: string, canonical: string, strategy: string): void {
  if (name === canonical) return;
  throw new RangeError(
    `strategy '${strategy}' is not known; did you mean '${canonical}'? CodeDeploy's names say Minute for 1 ` +
      `and Minutes otherwise, without leading zeros (${PREDEFINED_STRATEGIES.join(', ')})`,
  );
}

function percent(text: string | undefined, strategy: string): number {
  const value = Number(text);
  if (!(value >= 1 && value <= 99)) {
    throw new RangeError(`strategy '${strategy}': the percentage must be between 1 and 99, got ${text}`);
  }
  return value;
}

function minutes(text: string | undefined, strategy: string): number {
  const value = Number(text);
  if (!(value >= 1 && value <= 2880)) {
    throw new RangeError(
      `strategy '${strategy}': the interval must be between 1 and 2880 minutes, got ${text}`,
    );
  }
  return value;
}
