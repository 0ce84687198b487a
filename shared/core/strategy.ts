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
}

export interface CustomStrategy {
  steps: Array<{ weight: number; bakeMinutes: number; approve?: boolean | undefined }>;
}

export type StrategyInput = string | CustomStrategy;

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
  if (typeof strategy !== 'string') return customSteps(strategy);
  const name = strategy.startsWith(PREFIX) ? strategy.slice(PREFIX.length) : strategy;
  if (name === 'AllAtOnce') return [];
  const canary = CANARY.exec(name);
  if (canary) {
    const weight = percent(canary[1], strategy);
    return [{ weight, bakeSeconds: minutes(canary[2], strategy) * 60 }];
  }
  const linear = LINEAR.exec(name);
  if (linear) {
    const increment = percent(linear[1], strategy);
    const bakeSeconds = minutes(linear[2], strategy) * 60;
    const steps: Step[] = [];
    for (let weight = increment; weight < 100; weight += increment) steps.push({ weight, bakeSeconds });
    return steps;
  }
  throw new RangeError(
    `strategy '${strategy}' is not known; use one of ${PREDEFINED_STRATEGIES.join(', ')} ` +
      `(optionally prefixed '${PREFIX}'), or {"steps":[{"weight":5,"bakeMinutes":2}]}`,
  );
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
