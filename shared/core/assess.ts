/**
 * One check of a rollout, from numbers to the next action: judge the paired minutes, then decide.
 * Pure. evaluate-metrics, `fledge replay` and the policy benchmark all call this one function.
 */
import { type Decision, type DecisionConfig, decide, type Progress } from './decision';
import type { PairedMinute } from './sequential-test';
import type { Step } from './strategy';
import { type JudgeConfig, judge, type LatencyInput, type Verdict } from './verdict';

export interface AssessInput {
  steps: readonly Step[];
  progress: Progress;
  config: JudgeConfig & DecisionConfig;
  now: Date;
  /** [start, end) of complete CloudWatch minutes since the canary first got traffic. */
  window: { start: Date; end: Date };
  /** The window's minutes; undefined when the window is still empty (nothing was read). */
  minutes?: readonly PairedMinute[] | undefined;
  alarmsInAlarm?: readonly string[];
  unhealthyChecks?: readonly string[];
  latency?: readonly LatencyInput[];
  /** Set when reading the metrics failed in a way a retry will not fix. */
  readError?: string | undefined;
}

export interface Assessment {
  verdict: Verdict;
  decision: Decision;
}

export function assess(input: AssessInput): Assessment {
  const { window } = input;
  let verdict: Verdict;
  if (input.readError !== undefined) {
    verdict = { verdict: 'error', reason: input.readError };
  } else if (input.minutes === undefined || window.end.getTime() <= window.start.getTime()) {
    verdict = {
      verdict: 'inconclusive',
      reason: 'no complete CloudWatch minute since the canary got traffic yet',
    };
  } else {
    verdict = judge({
      window,
      minutes: input.minutes,
      alarmsInAlarm: input.alarmsInAlarm ?? [],
      unhealthyChecks: input.unhealthyChecks ?? [],
      latency: input.latency,
      config: input.config,
    });
  }
  const decision = decide({
    steps: input.steps,
    progress: input.progress,
    verdict,
    now: input.now,
    dataUntil: window.end,
    config: input.config,
  });
  return { verdict, decision };
}
