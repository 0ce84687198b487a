/**
 * An HTTP proxy in front of moto that throttles as an AWS account does: a token bucket per API group
 * (and per DynamoDB table), at AWS's published rates, refilled on a clock the caller gives, so a virtual
 * clock that skips waits refills them as the skipped time would have. A request that finds its bucket
 * empty gets the answer that service gives, in its protocol, so the SDK names and retries it as
 * throttling: Lambda and API Gateway a 429 `TooManyRequestsException`, CloudWatch `Throttling`, ELB an
 * XML `ThrottlingException` / `Rate exceeded`, Route 53 an XML `Throttling` / `Rate exceeded`, the JSON
 * services a 400 `ThrottlingException`.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** Milliseconds on the clock that refills the buckets (a virtual clock's, or Date.now). */
export type QuotaClock = () => number;

type Protocol = 'rest-json' | 'json' | 'query-json' | 'rest-xml' | 'query-xml';

export interface QuotaGroup {
  /** e.g. `lambda:control-plane`. */
  name: string;
  service: Service;
  /** The operations this group meters; absent: every operation of the service no other group names. */
  ops?: readonly string[];
  /** Tokens the bucket holds when full (the burst). */
  burst: number;
  /** Tokens added per second, up to `burst`. */
  perSecond: number;
  /** `table`: one bucket per DynamoDB table, as on-demand throughput is per table. */
  per?: 'account' | 'table';
  /** Where the figure comes from. */
  source: string;
}

export type Service =
  | 'lambda'
  | 'cloudwatch'
  | 'route53'
  | 'states'
  | 'events'
  | 'dynamodb'
  | 'apigateway'
  | 'elbv2';

/**
 * AWS's default quotas per account and Region (us-east-1) for the calls fledge makes, and for the target
 * types being added (API Gateway stages, ELB listener rules).
 */
export const AWS_QUOTAS: readonly QuotaGroup[] = [
  {
    name: 'lambda:GetFunction',
    service: 'lambda',
    ops: ['GetFunction'],
    burst: 100,
    perSecond: 100,
    source: 'Lambda quotas: GetFunction API requests 100/s',
  },
  {
    name: 'lambda:GetPolicy',
    service: 'lambda',
    ops: ['GetPolicy'],
    burst: 15,
    perSecond: 15,
    source: 'Lambda quotas: GetPolicy API requests 15/s',
  },
  {
    name: 'lambda:control-plane',
    service: 'lambda',
    burst: 15,
    perSecond: 15,
    source: 'Lambda quotas: control plane API requests (all but invocation, GetFunction, GetPolicy) 15/s',
  },
  {
    name: 'cloudwatch:GetMetricData',
    service: 'cloudwatch',
    ops: ['GetMetricData'],
    burst: 50,
    perSecond: 50,
    source: 'CloudWatch quotas: GetMetricData 50 TPS',
  },
  {
    name: 'cloudwatch:DescribeAlarms',
    service: 'cloudwatch',
    ops: ['DescribeAlarms'],
    burst: 9,
    perSecond: 9,
    source: 'CloudWatch quotas: DescribeAlarms 9 TPS',
  },
  {
    name: 'cloudwatch:ListMetrics',
    service: 'cloudwatch',
    ops: ['ListMetrics'],
    burst: 25,
    perSecond: 25,
    source: 'CloudWatch quotas: ListMetrics 25 TPS (unconfirmed this round: the page was not re-read)',
  },
  {
    name: 'route53:all',
    service: 'route53',
    burst: 5,
    perSecond: 5,
    source: 'Route 53 quotas: all Route 53 API requests, 5 per second per account',
  },
  {
    name: 'states:StartExecution',
    service: 'states',
    ops: ['StartExecution'],
    burst: 1300,
    perSecond: 300,
    source: 'Step Functions quotas (us-east-1): StartExecution bucket 1,300, refill 300/s',
  },
  {
    name: 'states:DescribeExecution',
    service: 'states',
    ops: ['DescribeExecution'],
    burst: 250,
    perSecond: 100,
    source: 'Step Functions quotas (us-east-1): DescribeExecution bucket 250, refill 100/s',
  },
  {
    name: 'states:StateTransition',
    service: 'states',
    ops: ['StateTransition'],
    burst: 5000,
    perSecond: 1500,
    source:
      'Step Functions quotas (us-east-1, Standard): StateTransition bucket 5,000, refill 1,500/s; metered, not HTTP',
  },
  {
    name: 'states:other',
    service: 'states',
    burst: 100,
    perSecond: 15,
    source: 'Step Functions quotas: the smallest of the other API buckets (100, refill 15/s)',
  },
  {
    name: 'events:PutEvents',
    service: 'events',
    ops: ['PutEvents'],
    burst: 10_000,
    perSecond: 10_000,
    source: 'EventBridge quotas (us-east-1): PutEvents 10,000 requests/s',
  },
  {
    name: 'dynamodb:table',
    service: 'dynamodb',
    per: 'table',
    burst: 40_000,
    perSecond: 40_000,
    source: 'DynamoDB quotas: on-demand 40,000 read and write request units per table (one unit a call here)',
  },
  {
    name: 'apigateway:all',
    service: 'apigateway',
    burst: 40,
    perSecond: 10,
    source: 'API Gateway quotas: 10 requests/s, burst 40, per account (not adjustable)',
  },
  {
    name: 'elbv2:describe',
    service: 'elbv2',
    ops: [
      'DescribeLoadBalancers',
      'DescribeListeners',
      'DescribeRules',
      'DescribeTargetGroups',
      'DescribeTargetHealth',
      'DescribeTags',
    ],
    burst: 40,
    perSecond: 10,
    source:
      "ELB API throttling: non-mutating (Describe*) bucket 40, refill 10/s (the page's worked example; the AWS Load Balancer Controller read 200, refill 50/s from its table in March 2026: the lower is kept)",
  },
  {
    name: 'elbv2:modify',
    service: 'elbv2',
    ops: [
      'ModifyRule',
      'ModifyListener',
      'ModifyListenerAttributes',
      'ModifyLoadBalancerAttributes',
      'ModifyTargetGroup',
      'ModifyTargetGroupAttributes',
    ],
    burst: 20,
    perSecond: 3,
    source:
      "ELB API throttling: Modify* bucket 20, refill 3/s, one bucket for all of them (as the AWS Load Balancer Controller's defaults read the page's table, kubernetes-sigs/aws-load-balancer-controller#4641; the table itself not retrieved here: unconfirmed)",
  },
  {
    name: 'elbv2:registration',
    service: 'elbv2',
    ops: ['RegisterTargets', 'DeregisterTargets'],
    burst: 20,
    perSecond: 4,
    source:
      'ELB API throttling: RegisterTargets/DeregisterTargets bucket 20, refill 4/s (as the AWS Load Balancer Controller reads it; unconfirmed)',
  },
  {
    name: 'elbv2:other',
    service: 'elbv2',
    burst: 20,
    perSecond: 3,
    source:
      'ELB API throttling: other mutating calls (Create*, Delete*, ...), taken as the Modify* bucket; assumed, fledge calls none of them',
  },
];

/**
 * The tokens a scaled bucket keeps at least: one step of one rollout makes up to six calls of a group
 * in a row (Plan's Lambda reads: the function, its versions, the alias, and the provisioned concurrency
 * of the alias and of the new version; Route 53's read, change and GetChange), which a full-size bucket
 * (Lambda's 15) always holds. Below that a scaled account could never serve even one step, which no real
 * one does: each attempt of the step would spend its tokens and fail before the last call.
 */
export const MIN_SCALED_BURST = 6;

/**
 * Every quota times `factor` (a load test of N rollouts runs at N/300 of an account's quotas): the
 * refill rate exactly, the burst down to MIN_SCALED_BURST (or the full burst, if smaller).
 */
export function scaleQuotas(groups: readonly QuotaGroup[], factor: number): QuotaGroup[] {
  if (!(factor > 0)) throw new RangeError(`quota scale must be above 0, got ${factor}`);
  return groups.map((g) => ({
    ...g,
    burst: Math.max(g.burst * factor, Math.min(g.burst, MIN_SCALED_BURST)),
    perSecond: g.perSecond * factor,
  }));
}

/** A token bucket refilled on the given clock. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly clock: QuotaClock,
  ) {
    this.#tokens = burst;
    this.#at = clock();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = this.clock();
    this.#tokens = Math.min(this.burst, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.perSecond);
    this.#at = Math.max(this.#at, now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export interface CallRecord {
  service: Service | 'other';
  op: string;
  group: string | undefined;
  throttled: boolean;
  /** The SDK invocation id: an SDK call and its retries share it. */
  call: string;
  /** The x-fledge-actor header, when the caller sets one (the load bench names each rollout). */
  actor: string | undefined;
}

export class QuotaEmulator {
  readonly calls: CallRecord[] = [];
  readonly #buckets = new Map<string, TokenBucket>();
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #metered = 0;

  constructor(
    private readonly target: string,
    private clock: QuotaClock,
    private groups: readonly QuotaGroup[] = AWS_QUOTAS,
  ) {}

  /** Starts over on another clock and quotas: full buckets, no calls seen (one endpoint, many phases). */
  reset(clock: QuotaClock, groups: readonly QuotaGroup[] = this.groups): void {
    this.clock = clock;
    this.groups = groups;
    this.#buckets.clear();
    this.calls.length = 0;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const reply = this.decide(req, body);
        if (reply) {
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
          return;
        }
        forward(this.target, req, body, res);
      });
    });
    this.#server.keepAliveTimeout = 60_000;
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('the quota emulator has no port');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** The throttling reply for a request whose bucket is empty, or undefined to forward it. */
  decide(req: IncomingMessage, body: Buffer): ThrottleReply | undefined {
    const { service, op, protocol } = identify(req, body);
    const group = service === 'other' ? undefined : this.groupOf(service, op);
    const key = group && (group.per === 'table' ? `${group.name}:${tableOf(body)}` : group.name);
    const bucket = key && group ? this.bucket(key, group) : undefined;
    const throttled = bucket ? !bucket.take() : false;
    const actor = req.headers['x-fledge-actor'];
    this.calls.push({
      service,
      op,
      group: group?.name,
      throttled,
      call: String(req.headers['amz-sdk-invocation-id'] ?? ''),
      actor: typeof actor === 'string' ? actor : undefined,
    });
    return throttled && service !== 'other' ? throttleReply(service, protocol) : undefined;
  }

  /**
   * Meters a call that reaches no endpoint here: Step Functions' own (an execution's start, each state
   * transition), which the local runner makes in-process. Takes a token from its group's bucket and
   * records it; returns whether AWS would have throttled it (Step Functions then slows the execution:
   * the bench reports it, and injects nothing).
   */
  meter(service: Service, op: string, actor?: string): boolean {
    const group = this.groupOf(service, op);
    const throttled = group ? !this.bucket(group.name, group).take() : false;
    this.#metered += 1;
    this.calls.push({ service, op, group: group?.name, throttled, call: `metered-${this.#metered}`, actor });
    return throttled;
  }

  private groupOf(service: Service, op: string): QuotaGroup | undefined {
    const own = this.groups.filter((g) => g.service === service);
    return own.find((g) => g.ops?.includes(op)) ?? own.find((g) => g.ops === undefined);
  }

  private bucket(key: string, group: QuotaGroup): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(group.burst, group.perSecond, this.clock);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }
}

export interface ThrottleReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What each service answers when its bucket is empty, in its protocol. */
export function throttleReply(service: Service, protocol: Protocol): ThrottleReply {
  const requestId = 'quota-emulator';
  switch (service) {
    case 'lambda':
      // Lambda: 429 TooManyRequestsException, Reason CallerRateLimitExceeded (botocore lambda model).
      return {
        status: 429,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
        body: JSON.stringify({
          Reason: 'CallerRateLimitExceeded',
          Type: 'User',
          message: 'Rate exceeded',
        }),
      };
    case 'apigateway':
      return {
        status: 429,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
        body: JSON.stringify({ message: 'Too Many Requests' }),
      };
    case 'route53':
    case 'elbv2': {
      // ELB: "the ThrottlingException error code and a Rate exceeded error message" (ELB user guide,
      // Request throttling for the ELB API); Route 53: Throttling.
      const code = service === 'elbv2' ? 'ThrottlingException' : 'Throttling';
      if (protocol === 'rest-xml' || protocol === 'query-xml') {
        const ns =
          service === 'route53'
            ? 'https://route53.amazonaws.com/doc/2013-04-01/'
            : 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
        return {
          status: 400,
          headers: { 'content-type': 'text/xml' },
          body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>Rate exceeded</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        };
      }
      return jsonThrottle(code);
    }
    case 'cloudwatch':
      // CloudWatch speaks JSON 1.0 with awsQueryCompatible: the query error code rides in a header.
      return {
        ...jsonThrottle('Throttling'),
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': 'Throttling;Sender',
        },
      };
    case 'states':
    case 'events':
      return jsonThrottle('ThrottlingException');
    case 'dynamodb':
      return jsonThrottle('com.amazonaws.dynamodb.v20120810#ThrottlingException');
  }
}

function jsonThrottle(type: string): ThrottleReply {
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ __type: type, message: 'Rate exceeded' }),
  };
}

const SERVICE_OF_SCOPE: Record<string, Service> = {
  lambda: 'lambda',
  monitoring: 'cloudwatch',
  route53: 'route53',
  states: 'states',
  events: 'events',
  dynamodb: 'dynamodb',
  apigateway: 'apigateway',
  elasticloadbalancing: 'elbv2',
};

const LAMBDA_ROUTES: Array<[string, RegExp, string]> = [
  ['GET', /\/functions\/[^/]+\/aliases\/[^/]+$/, 'GetAlias'],
  ['PUT', /\/functions\/[^/]+\/aliases\/[^/]+$/, 'UpdateAlias'],
  ['GET', /\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
  ['GET', /\/functions\/[^/]+\/policy$/, 'GetPolicy'],
  ['GET', /\/functions\/[^/]+\/versions$/, 'ListVersionsByFunction'],
  ['POST', /\/functions\/[^/]+\/versions$/, 'PublishVersion'],
  ['GET', /\/functions\/[^/]+$/, 'GetFunction'],
  ['GET', /\/functions\/[^/]+\/provisioned-concurrency$/, 'GetProvisionedConcurrencyConfig'],
  ['PUT', /\/functions\/[^/]+\/provisioned-concurrency$/, 'PutProvisionedConcurrencyConfig'],
  ['DELETE', /\/functions\/[^/]+\/provisioned-concurrency$/, 'DeleteProvisionedConcurrencyConfig'],
  ['GET', /\/tags\//, 'ListTags'],
  ['POST', /\/functions\/[^/]+\/invocations$/, 'Invoke'],
];

const ROUTE53_ROUTES: Array<[string, RegExp, string]> = [
  ['GET', /\/hostedzone\/[^/]+\/rrset\/?$/, 'ListResourceRecordSets'],
  ['POST', /\/hostedzone\/[^/]+\/rrset\/?$/, 'ChangeResourceRecordSets'],
  ['GET', /\/change\/[^/]+$/, 'GetChange'],
  ['GET', /\/healthcheck\/[^/]+\/status$/, 'GetHealthCheckStatus'],
  ['GET', /\/healthcheck\/[^/]+$/, 'GetHealthCheck'],
];

const APIGATEWAY_ROUTES: Array<[string, RegExp, string]> = [
  ['GET', /\/restapis\/[^/]+\/stages\/[^/]+$/, 'GetStage'],
  ['PATCH', /\/restapis\/[^/]+\/stages\/[^/]+$/, 'UpdateStage'],
  ['GET', /\/restapis\/[^/]+\/deployments\/[^/]+$/, 'GetDeployment'],
  ['POST', /\/restapis\/[^/]+\/deployments\/?$/, 'CreateDeployment'],
];

/** The service, operation and protocol of a request, from its SigV4 scope, target header or route. */
export function identify(
  req: IncomingMessage,
  body: Buffer,
): { service: Service | 'other'; op: string; protocol: Protocol } {
  const scope = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const service = SERVICE_OF_SCOPE[scope] ?? 'other';
  const path = (req.url ?? '').split('?')[0] ?? '';
  const method = req.method ?? 'GET';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const protocol = service === 'cloudwatch' ? 'query-json' : 'json';
    return { service, op: target.split('.').pop() ?? target, protocol };
  }
  const route = (routes: Array<[string, RegExp, string]>) =>
    routes.find(([m, pattern]) => m === method && pattern.test(path))?.[2] ?? `${method} ${path}`;
  switch (service) {
    case 'lambda':
      return { service, op: route(LAMBDA_ROUTES), protocol: 'rest-json' };
    case 'route53':
      return { service, op: route(ROUTE53_ROUTES), protocol: 'rest-xml' };
    case 'apigateway':
      return { service, op: route(APIGATEWAY_ROUTES), protocol: 'rest-json' };
    default: {
      // The query protocol (ELB, and CloudWatch without the JSON protocol): Action= in the form body.
      const action = new URLSearchParams(body.toString()).get('Action');
      return { service, op: action ?? `${method} ${path}`, protocol: 'query-xml' };
    }
  }
}

function tableOf(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString()) as { TableName?: unknown }).TableName ?? '');
  } catch {
    return '';
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function forward(
  target: string,
  req: IncomingMessage,
  body: Buffer,
  res: import('node:http').ServerResponse,
): void {
  const url = new URL(req.url ?? '/', target);
  const upstream = httpRequest(
    url,
    { method: req.method, headers: { ...req.headers, host: url.host } },
    (reply) => {
      res.writeHead(reply.statusCode ?? 500, reply.headers);
      reply.pipe(res);
    },
  );
  upstream.on('error', () => req.socket.destroy());
  upstream.end(body);
}
