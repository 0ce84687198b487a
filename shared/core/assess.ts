/**
 * One check of a rollout, from numbers to the next action: judge the paired minutes, then decide.
 * Pure. evaluate-metrics, `fledge replay` and the policy benchmark all call this one function.
 */
import { type Decision, type DecisionConfig, decide, type Progress } from './decision';
import type { Prior } from './history';
import type { PairedMinute } from './sequential-test';
import type { Step } from './strategy';
import {
  gateVerdict,
  type JudgeConfig,
  judge,
  type LatencyThreshold,
  type MetricNames,
  type Verdict,
} from './verdict';

export interface AssessInput {
  steps: readonly Step[];
  progress: Progress;
  config: JudgeConfig & DecisionConfig;
  now: Date;
  /** [start, end) of the CloudWatch minutes read since the canary first got traffic. */
  window: { start: Date; end: Date };
  /** The window's minutes; undefined when the window is still empty (nothing was read). */
  minutes?: readonly PairedMinute[] | undefined;
  /** Read at every check, also while the window is still empty. */
  alarmsInAlarm?: readonly string[];
  unhealthyChecks?: readonly string[];
  latency?: readonly LatencyThreshold[];
  prior?: Prior | undefined;
  names?: MetricNames;
  /** Set when reading the metrics failed in a way a retry will not fix. */
  readError?: string | undefined;
}

export interface Assessment {
  verdict: Verdict;
  decision: Decision;
}

export function assess(input: AssessInput): Assessment {
  const { window } = input;
  const alarmsInAlarm = input.alarmsInAlarm ?? [];
  const unhealthyChecks = input.unhealthyChecks ?? [];
  const step = input.steps[input.progress.stepIndex];
  // Alarms and health checks gate from the first check, before CloudWatch has a complete minute.
  const gate = gateVerdict(alarmsInAlarm, unhealthyChecks);
  let verdict: Verdict;
  if (gate) {
    verdict = gate;
  } else if (input.readError !== undefined) {
    verdict = { verdict: 'error', reason: input.readError };
  } else if (input.minutes === undefined || window.end.getTime() <= window.start.getTime()) {
    verdict =
      step && step.weight >= 100
        ? {
            verdict: 'pass',
            reason: 'all traffic is on the canary and its alarms and health checks are clear',
          }
        : {
            verdict: 'inconclusive',
            pending: 'data',
            reason: 'no complete CloudWatch minute since the canary got traffic yet',
          };
  } else {
    verdict = judge({
      window,
      minutes: input.minutes,
      alarmsInAlarm,
      unhealthyChecks,
      ...(input.latency ? { latency: input.latency } : {}),
      prior: input.prior,
      switched: step !== undefined && step.weight >= 100,
      ...(input.names ? { names: input.names } : {}),
      config: input.config,
    });
  }
  const decision = decide({
    steps: input.steps,
    progress: input.progress,
    verdict,
    now: input.now,
    // A newest minute the verdict left out (still being reported) is not data yet.
    dataUntil: verdict.evidence ? new Date(verdict.evidence.window.end) : window.end,
    readUntil: window.end.getTime() > window.start.getTime() ? window.end : window.start,
    config: input.config,
  });
  return { verdict, decision };
}
