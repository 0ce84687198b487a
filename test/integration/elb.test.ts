/**
 * ELB weighted target group releases through `fledge run` against moto: a rule whose forward action sits
 * behind an authenticate action, which must come out as it went in.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createWeightedRule, type ElbSetting, ruleActions, ruleWeights } from '../../local/elb-fixtures';
import { useEndpoint } from '../../local/moto';
import { publishTargetGroupMinutes } from '../support/aws';
import { fledgeRun } from '../support/cli';

const START = new Date('2026-11-06T09:00:00.000Z');
const settings: Record<string, ElbSetting> = {};

const fledge = (input: unknown) => fledgeRun(input, START, ['--json']);

const release = (app: string, overrides: Record<string, unknown> = {}) => {
  const { listenerArn, ruleArn, stable, canary } = settings[app] as ElbSetting;
  return {
    target: { type: 'elb-weighted', listenerArn, ruleArn, stable, canary },
    strategy: {
      steps: [
        { weight: 12.5, bakeMinutes: 2 },
        { weight: 50, bakeMinutes: 2 },
      ],
    },
    ...overrides,
  };
};

describe('ELB weighted target group releases against moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    for (const app of ['good', 'bad', 'sick']) {
      settings[app] = await createWeightedRule(`elb-${app}`, { canaryHealthy: app !== 'sick' });
    }
    // The 5xx count is published only in minutes with some (as ELB does): the good canary has none at all.
    const traffic = (app: string, canaryErrors: number) => {
      const { listenerArn, stable, canary } = settings[app] as ElbSetting;
      return publishTargetGroupMinutes(listenerArn, START, 30, {
        [stable]: { requests: 900, errors: 4 },
        [canary]: { requests: 100, errors: canaryErrors },
      });
    };
    await traffic('good', 0);
    await traffic('bad', 6);
  });

  it('promotes a healthy target group, judged on its AWS/ApplicationELB metrics, keeping the other actions', async () => {
    const before = await ruleActions(settings.good?.ruleArn ?? '');

    const { code, report } = await fledge(release('good'));

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'promoted', weight: 100 });
    expect(await ruleWeights(settings.good?.ruleArn ?? '')).toEqual({
      'elb-good-blue': 0,
      'elb-good-green': 1,
    });
    const after = await ruleActions(settings.good?.ruleArn ?? '');
    expect(after[0]).toEqual(before[0]);
    expect(after[1]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual(
      before[1]?.ForwardConfig?.TargetGroupStickinessConfig,
    );
  });

  it('returns all traffic to the stable target group when the canary fails', async () => {
    const { code, report } = await fledge(release('bad'));

    expect(code).toBe(1);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(await ruleWeights(settings.bad?.ruleArn ?? '')).toEqual({ 'elb-bad-blue': 1, 'elb-bad-green': 0 });
  });

  it('refuses a canary target group with no healthy target, exits 2 and changes nothing', async () => {
    const before = await ruleActions(settings.sick?.ruleArn ?? '');

    const { code, report } = await fledge(release('sick'));

    expect(code).toBe(2);
    expect(String(report.reason)).toMatch(
      /target\.canary: target group 'elb-sick-green' has no healthy target/,
    );
    expect(await ruleActions(settings.sick?.ruleArn ?? '')).toEqual(before);
  });
});
