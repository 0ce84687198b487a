/**
 * The load bench, small: rollouts started within one virtual minute on an account whose every quota is
 * scaled to match (N/300), each compared with its run alone. The goals of issue 22, asserted.
 */
import { expect, inject, it } from 'vitest';
import { ACCOUNT_ROLLOUTS, LOAD_KINDS, runLoad } from '../../bench/load';
import { goals } from '../../bench/load-summary';

const ROLLOUTS = 12;

it(`${ROLLOUTS} rollouts at once on ${ROLLOUTS}/${ACCOUNT_ROLLOUTS} of an account's quotas reach the decisions they reach alone`, async () => {
  const result = await runLoad({
    rollouts: ROLLOUTS,
    // Seed 6's twelve: every target kind, healthy and faulty canaries, two faulty releases of three
    // targets each (bench/load.ts specs).
    seed: 6,
    motoEndpoint: inject('motoEndpoint'),
    recordsInTable: false,
  });
  const g = goals(result);
  const mismatches = result.loaded
    .filter((r, i) => r.report.outcome !== result.alone[i]?.report.outcome)
    .map(
      (r) =>
        `#${r.spec.index} ${r.report.outcome} (alone ${result.alone[r.spec.index]?.report.outcome}): ${r.report.reason}`,
    );
  expect(mismatches).toEqual([]);
  expect(g).toMatchObject({
    outcomesMatched: ROLLOUTS,
    failedByThrottling: 0,
    notDecided: 0,
    leftSplit: 0,
    falseConflicts: 0,
    notReadBack: 0,
  });
  // The quotas were really in play: some requests were throttled and retried.
  expect(g.throttledRequests).toBeGreaterThan(0);
  // Every target kind and both kinds of canary ran, and each kind's own quotas were in play.
  expect(new Set(result.loaded.map((r) => r.spec.kind))).toEqual(new Set(LOAD_KINDS));
  for (const service of ['elbv2', 'apigateway'])
    expect(result.loadedCalls.filter((c) => c.service === service).length).toBeGreaterThan(0);
  expect(new Set(result.loaded.map((r) => r.report.outcome))).toEqual(new Set(['promoted', 'rolled-back']));
}, 600_000);
