/**
 * Plan's forecast of an adaptive ramp: it shows the ramp's rungs and says the ramp may promote early,
 * which it cannot time before the canary's minutes are read.
 */
import { describe, expect, it } from 'vitest';
import { forecastRollout } from '../../shared/core/history';
import { resolveStrategy } from '../../shared/core/strategy';
import { priorAt } from '../support/prior';

const config = {
  beta: 0.01,
  maxRegression: { ratio: 4, floor: 0.005 },
  metricLagMinutes: 1,
  insufficientData: { maxExtraMinutes: 15 },
};

describe("Plan's forecast of an adaptive ramp", () => {
  it('names the rungs and says the ramp may promote early, from any rung', () => {
    const forecast = forecastRollout(resolveStrategy('Adaptive'), priorAt(1000), config);

    expect(forecast.minutes).not.toBeNull();
    expect(forecast.reason).toContain('an adaptive ramp (8%, 24%, 72%)');
    expect(forecast.reason).toMatch(/may promote early, from any rung once the evidence is in/);
    expect(forecast.reason).not.toMatch(/historyEvidence/);
    expect(
      forecastRollout(resolveStrategy('Adaptive'), priorAt(1000), { ...config, historyEvidence: true })
        .reason,
    ).toMatch(/also counts the canary against the stable version's last hour \(analysis.historyEvidence\)/);
  });

  it('says so too when the evidence is unlikely within the ramp', () => {
    const forecast = forecastRollout(resolveStrategy('Adaptive'), priorAt(5), config);

    expect(forecast.minutes).toBeNull();
    expect(forecast.reason).toContain('may promote early');
  });

  it('says so too when the last hour had no traffic to forecast from', () => {
    const forecast = forecastRollout(resolveStrategy('Adaptive'), undefined, config);

    expect(forecast.minutes).toBeNull();
    expect(forecast.reason).toContain('may promote early');
  });

  it('says nothing of the kind for a fixed schedule', () => {
    const forecast = forecastRollout(resolveStrategy('Linear10PercentEvery1Minute'), priorAt(1000), config);

    expect(forecast.reason).not.toContain('adaptive');
    expect(forecast.reason).not.toContain('promote early');
  });
});
