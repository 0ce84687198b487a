/**
 * Simulated user traffic for the demo. Every simulated minute it reads the target's actual split from
 * the AWS endpoint, divides the minute's requests by it, fails each side's share at that side's rate,
 * and publishes the CloudWatch counts the analysis reads.
 */
import { APIGatewayClient, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import binomial from '@stdlib/random-base-binomial';
import { MINUTE_MS } from '../shared/core/clock';
import { loadBalancerDimension } from '../shared/targets/elb-weighted/arns';

// CloudWatch takes 1,000 data points per PutMetricData; moto fails above about 50, so stay well below.
const PUT_BATCH = 20;

/** One side of the split, as the metrics see it. */
export interface Side {
  share: number;
  errorRate: number;
  dimensions: Record<string, string>;
}

export interface TrafficOptions {
  namespace: string;
  requestsMetric: string;
  errorsMetric: string;
  requestsPerMinute: number;
  seed: number;
  /** The split now, read from AWS. */
  readSplit: () => Promise<Side[]>;
  /** Publishes to this endpoint instead of the SDK's configured one (the load bench: moto, past the quotas). */
  endpoint?: string;
  /** Publish the errors metric only in minutes with errors, as ELB does for HTTPCode_Target_5XX_Count. */
  errorsOnlyWhenNonZero?: boolean;
}

export class TrafficSimulator {
  readonly #cloudWatch: CloudWatchClient;
  readonly #draw: (n: number, p: number) => number;
  #nextMinute: number | undefined;

  constructor(private readonly options: TrafficOptions) {
    this.#cloudWatch = new CloudWatchClient(options.endpoint ? { endpoint: options.endpoint } : {});
    this.#draw = binomial.factory({ seed: options.seed });
  }

  /** Publishes every whole minute that starts in [from, to), each minute once. */
  async simulate(from: Date, to: Date): Promise<void> {
    const first = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS;
    let minute = Math.max(first, this.#nextMinute ?? first);
    if (minute >= to.getTime()) return;
    const sides = await this.options.readSplit();
    const data: MetricDatum[] = [];
    for (; minute < to.getTime(); minute += MINUTE_MS) data.push(...this.minute(new Date(minute), sides));
    this.#nextMinute = minute;
    for (let i = 0; i < data.length; i += PUT_BATCH) {
      await this.#cloudWatch.send(
        new PutMetricDataCommand({
          Namespace: this.options.namespace,
          MetricData: data.slice(i, i + PUT_BATCH),
        }),
      );
    }
  }

  private minute(at: Date, sides: Side[]): MetricDatum[] {
    const data: MetricDatum[] = [];
    let left = this.options.requestsPerMinute;
    let shareLeft = sides.reduce((sum, s) => sum + s.share, 0);
    for (const side of sides) {
      const requests = shareLeft <= side.share ? left : this.#draw(left, Math.min(1, side.share / shareLeft));
      left -= requests;
      shareLeft -= side.share;
      if (requests === 0) continue;
      const errors = this.#draw(requests, side.errorRate);
      const Dimensions = Object.entries(side.dimensions).map(([Name, Value]) => ({ Name, Value }));
      const Timestamp = new Date(at.getTime() + 30_000);
      data.push({
        MetricName: this.options.requestsMetric,
        Dimensions,
        Timestamp,
        Value: requests,
        Unit: 'Count',
      });
      if (errors > 0 || !this.options.errorsOnlyWhenNonZero) {
        data.push({
          MetricName: this.options.errorsMetric,
          Dimensions,
          Timestamp,
          Value: errors,
          Unit: 'Count',
        });
      }
    }
    return data;
  }
}

/** The split of a Lambda alias, published as AWS/Lambda does, per ExecutedVersion. */
export function aliasSplit(
  functionName: string,
  alias: string,
  errorRates: Record<string, number>,
  defaultRate: number,
  endpoint?: string,
) {
  const lambda = new LambdaClient(endpoint ? { endpoint } : {});
  return async (): Promise<Side[]> => {
    const current = await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
    const extra = current.RoutingConfig?.AdditionalVersionWeights ?? {};
    const extraTotal = Object.values(extra).reduce((a, b) => a + b, 0);
    const shares: Record<string, number> = {
      ...extra,
      [current.FunctionVersion ?? '$LATEST']: 1 - extraTotal,
    };
    return Object.entries(shares).map(([version, share]) => ({
      share,
      errorRate: errorRates[version] ?? defaultRate,
      dimensions: {
        FunctionName: functionName,
        Resource: `${functionName}:${alias}`,
        ExecutedVersion: version,
      },
    }));
  };
}

/**
 * The split of a stable/canary pair of weighted records, published as an app's own metrics with a
 * `Side` dimension. Each side fails at the rate of the fleet its record points at. Resolver caching is
 * not modelled: traffic follows the weights at once.
 */
export function recordSplit(
  zoneId: string,
  recordName: string,
  app: string,
  fleetErrorRates: Record<string, number>,
  defaultRate: number,
  endpoint?: string,
) {
  const route53 = new Route53Client(endpoint ? { endpoint } : {});
  return async (): Promise<Side[]> => {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: recordName,
        StartRecordType: 'A',
      }),
    );
    const pair = (page.ResourceRecordSets ?? []).filter((r) => r.Name === `${recordName}.` && r.Type === 'A');
    const total = pair.reduce((sum, r) => sum + (r.Weight ?? 0), 0);
    return pair.map((r) => ({
      share: total === 0 ? 1 / pair.length : (r.Weight ?? 0) / total,
      errorRate: fleetErrorRates[r.ResourceRecords?.[0]?.Value ?? ''] ?? defaultRate,
      dimensions: { App: app, Side: r.SetIdentifier === 'primary' ? 'stable' : 'canary' },
    }));
  };
}

/**
 * The split of a listener rule's weighted target groups, published as AWS/ApplicationELB does per target
 * group (RequestCount, HTTPCode_Target_5XX_Count; dimensions TargetGroup and LoadBalancer). Each group
 * fails at its fleet's rate; requests follow the weights at once, as ELB applies them per request.
 */
export function targetGroupSplit(
  ruleArn: string,
  loadBalancer: string,
  groupErrorRates: Record<string, number>,
  defaultRate: number,
  endpoint?: string,
) {
  const elb = new ElasticLoadBalancingV2Client(endpoint ? { endpoint } : {});
  return async (): Promise<Side[]> => {
    const rules = await elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    const forward = rules.Rules?.[0]?.Actions?.find((a) => a.Type === 'forward');
    const groups = forward?.ForwardConfig?.TargetGroups ?? [];
    const total = groups.reduce((sum, g) => sum + (g.Weight ?? 0), 0);
    return groups.map((g) => ({
      share: total === 0 ? 0 : (g.Weight ?? 0) / total,
      errorRate: groupErrorRates[g.TargetGroupArn ?? ''] ?? defaultRate,
      dimensions: {
        TargetGroup: (g.TargetGroupArn ?? '').split(':').pop() ?? '',
        LoadBalancer: loadBalancer,
      },
    }));
  };
}

/**
 * 1,000 requests a minute through a listener rule's weighted target groups, published as
 * AWS/ApplicationELB does (HTTPCode_Target_5XX_Count only in minutes with errors): each group fails at
 * its rate in `groupErrorRates`, or 0.5%.
 */
export function albTraffic(
  rule: { ruleArn: string; listenerArn: string },
  groupErrorRates: Record<string, number>,
  options: { seed: number; endpoint?: string },
): TrafficSimulator {
  return new TrafficSimulator({
    namespace: 'AWS/ApplicationELB',
    requestsMetric: 'RequestCount',
    errorsMetric: 'HTTPCode_Target_5XX_Count',
    errorsOnlyWhenNonZero: true,
    requestsPerMinute: 1000,
    seed: options.seed,
    readSplit: targetGroupSplit(
      rule.ruleArn,
      loadBalancerDimension(rule.listenerArn),
      groupErrorRates,
      0.005,
      options.endpoint,
    ),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
}

/**
 * The split of a REST API stage and its canary, published as an app's own metrics with a `Side`
 * dimension: the stage's own deployment is side `stable`, the canary's is side `canary` (as AWS/ApiGateway
 * names the stage and its canary). Each side fails at the rate of the deployment it serves.
 */
export function stageSplit(
  restApiId: string,
  stageName: string,
  app: string,
  deploymentErrorRates: Record<string, number>,
  defaultRate: number,
  endpoint?: string,
) {
  const apigw = new APIGatewayClient(endpoint ? { endpoint } : {});
  return async (): Promise<Side[]> => {
    const stage = await apigw.send(new GetStageCommand({ restApiId, stageName }));
    const canary = stage.canarySettings;
    const percent = canary ? (canary.percentTraffic ?? 0) : 0;
    const side = (name: string, deploymentId: string | undefined, share: number): Side => ({
      share,
      errorRate: deploymentErrorRates[deploymentId ?? ''] ?? defaultRate,
      dimensions: { App: app, Side: name },
    });
    return [
      side('stable', stage.deploymentId, 1 - percent / 100),
      side('canary', canary?.deploymentId ?? stage.deploymentId, percent / 100),
    ];
  };
}
