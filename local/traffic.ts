/**
 * Simulated user traffic for the demo: every simulated minute, read the alias's actual weights from
 * the AWS endpoint, split the minute's requests by them, fail each version's share at its own rate, and
 * publish the AWS/Lambda counts Lambda itself would publish.
 */
import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import binomial from '@stdlib/random-base-binomial';
import { MINUTE_MS } from '../shared/clock';

// CloudWatch takes 1,000 data points per PutMetricData; moto fails above about 50, so stay well below.
const PUT_BATCH = 20;

export interface TrafficProfile {
  functionName: string;
  alias: string;
  requestsPerMinute: number;
  /** Error rate per version; versions not listed fail at `defaultErrorRate`. */
  errorRates: Record<string, number>;
  defaultErrorRate: number;
  seed: number;
}

export class AliasTrafficSimulator {
  readonly #lambda = new LambdaClient({});
  readonly #cloudWatch = new CloudWatchClient({});
  readonly #draw: (n: number, p: number) => number;
  #nextMinute: number | undefined;

  constructor(private readonly profile: TrafficProfile) {
    this.#draw = binomial.factory({ seed: profile.seed });
  }

  /** Publishes every whole minute that starts in [from, to), each minute once. */
  async simulate(from: Date, to: Date): Promise<void> {
    const first = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS;
    let minute = Math.max(first, this.#nextMinute ?? first);
    if (minute >= to.getTime()) return;
    const weights = await this.weights();
    const data: MetricDatum[] = [];
    for (; minute < to.getTime(); minute += MINUTE_MS) data.push(...this.minute(new Date(minute), weights));
    this.#nextMinute = minute;
    for (let i = 0; i < data.length; i += PUT_BATCH) {
      await this.#cloudWatch.send(
        new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: data.slice(i, i + PUT_BATCH) }),
      );
    }
  }

  /** Version → share of traffic, as the alias routes it now. */
  async weights(): Promise<Record<string, number>> {
    const alias = await this.#lambda.send(
      new GetAliasCommand({ FunctionName: this.profile.functionName, Name: this.profile.alias }),
    );
    const extra = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
    const extraTotal = Object.values(extra).reduce((a, b) => a + b, 0);
    return { ...extra, [alias.FunctionVersion ?? '$LATEST']: 1 - extraTotal };
  }

  private minute(at: Date, weights: Record<string, number>): MetricDatum[] {
    const { functionName, alias, requestsPerMinute } = this.profile;
    const data: MetricDatum[] = [];
    let left = requestsPerMinute;
    let shareLeft = 1;
    for (const [version, share] of Object.entries(weights)) {
      const requests = shareLeft <= share ? left : this.#draw(left, Math.min(1, share / shareLeft));
      left -= requests;
      shareLeft -= share;
      if (requests === 0) continue;
      const rate = this.profile.errorRates[version] ?? this.profile.defaultErrorRate;
      const errors = this.#draw(requests, rate);
      const dimensions = [
        { Name: 'FunctionName', Value: functionName },
        { Name: 'Resource', Value: `${functionName}:${alias}` },
        { Name: 'ExecutedVersion', Value: version },
      ];
      const timestamp = new Date(at.getTime() + 30_000);
      data.push(
        {
          MetricName: 'Invocations',
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: requests,
          Unit: 'Count',
        },
        { MetricName: 'Errors', Dimensions: dimensions, Timestamp: timestamp, Value: errors, Unit: 'Count' },
      );
    }
    return data;
  }
}
