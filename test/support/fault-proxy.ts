/**
 * An HTTP proxy between the AWS SDK and moto that injects the faults real AWS calls meet: throttling, a
 * 5xx, a reset connection, a response that never comes (the SDK's own request timeout), AccessDenied, a
 * response lost after the write landed, and a hang that outlasts the function (a reply that trickles
 * and never ends, so no idle timeout fires). Each request is named by the state that made it, the
 * operation (`lambda:UpdateAlias`) and its place among that state invocation's calls of that operation.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

export const FAULTS = ['throttle', '5xx', 'reset', 'timeout', 'denied', 'lost', 'hang'] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * One call site: the nth call of an operation in an invocation of a state, an SDK call and its retries
 * counting as one.
 */
export interface CallSite {
  state: string;
  op: string;
  nth: number;
}

export interface FaultRule {
  state: string;
  op: string;
  fault: Fault;
  /** `once`: the first request of this call site; `every`: every request of this operation in this state. */
  mode: 'once' | 'every';
  nth?: number;
}

interface Seen extends CallSite {
  invocation: number;
}

type Protocol = 'json' | 'rest-json' | 'xml';

export class FaultProxy {
  readonly requests: Seen[] = [];
  readonly injected: Array<Seen & { fault: Fault }> = [];
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  /** The replies still trickling (hangs), each with its timer. */
  #trickles = new Map<NodeJS.Timeout, ServerResponse>();
  #state = 'none';
  #invocation = 0;
  /** Per state invocation and operation: each SDK call (by its invocation id) and its ordinal. */
  #ordinals = new Map<string, Map<string, number>>();
  #rule: FaultRule | undefined;
  #fired = false;

  constructor(
    private readonly target: string,
    /** How long a trickling reply waits between bytes: below the SDK's idle timeout. */
    private readonly trickleMs: number,
  ) {}

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    this.endHangs();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  private endHangs(): void {
    for (const [timer, res] of this.#trickles) {
      clearInterval(timer);
      res.destroy();
    }
    this.#trickles.clear();
  }

  /**
   * Starts a new case: no fault, or the given one; counters reset. The last case's hangs end here, as a
   * Lambda that timed out is gone with its connections: a reply still trickling for a case long over
   * writes a byte every tenth of a second for nobody, and by the last fault a lane held hundreds of them.
   */
  arm(rule?: FaultRule): void {
    this.endHangs();
    this.#rule = rule;
    this.#fired = false;
    this.#invocation = 0;
    this.#ordinals.clear();
    this.requests.length = 0;
    this.injected.length = 0;
    this.#state = 'none';
  }

  /** Stops injecting, keeping what was seen (the recovery that follows a case runs on a healthy AWS). */
  disarm(): void {
    this.#rule = undefined;
  }

  /** A Task of `state` starts (each call is a new invocation). */
  enter(state: string): void {
    this.#state = state;
    this.#invocation += 1;
  }

  /** The call sites of the run so far, each at its first appearance. */
  callSites(): CallSite[] {
    const seen = new Map<string, CallSite>();
    for (const r of this.requests) {
      const key = `${r.state}|${r.op}|${r.nth}`;
      if (!seen.has(key)) seen.set(key, { state: r.state, op: r.op, nth: r.nth });
    }
    return [...seen.values()];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const { op, protocol } = identify(req, body);
    // The SDK's retries of one call share its amz-sdk-invocation-id: they are the same call site, so a
    // slow moment that makes the SDK retry during discovery adds no site no later case would meet.
    const ordinalKey = `${this.#invocation}|${op}`;
    const call = String(req.headers['amz-sdk-invocation-id'] ?? Math.random());
    const calls = this.#ordinals.get(ordinalKey) ?? new Map<string, number>();
    const nth = calls.get(call) ?? calls.size + 1;
    calls.set(call, nth);
    this.#ordinals.set(ordinalKey, calls);
    const seen: Seen = { state: this.#state, op, nth, invocation: this.#invocation };
    this.requests.push(seen);
    const fault = this.faultFor(seen);
    if (fault) this.injected.push({ ...seen, fault });
    switch (fault) {
      case undefined:
        return this.forward(req, body, res);
      case 'throttle':
        return reply(res, protocol, op, 'throttle');
      case '5xx':
        return reply(res, protocol, op, '5xx');
      case 'denied':
        return reply(res, protocol, op, 'denied');
      case 'reset':
        req.socket.destroy();
        return;
      case 'timeout':
        return; // never answer: the SDK's request timeout fires
      case 'lost': {
        // The write lands in moto; the reply never reaches the caller.
        await this.forward(req, body, undefined);
        req.socket.destroy();
        return;
      }
      case 'hang': {
        res.writeHead(200, { 'content-type': contentType(protocol) });
        const timer = setInterval(() => res.write(' '), this.trickleMs);
        this.#trickles.set(timer, res);
        res.on('close', () => {
          clearInterval(timer);
          this.#trickles.delete(timer);
        });
        return;
      }
    }
  }

  private faultFor(seen: Seen): Fault | undefined {
    const rule = this.#rule;
    if (!rule || rule.state !== seen.state || rule.op !== seen.op) return undefined;
    if (rule.mode === 'every') return rule.fault;
    if (this.#fired || seen.nth !== (rule.nth ?? 1)) return undefined;
    this.#fired = true;
    return rule.fault;
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', this.target);
    return new Promise((resolve) => {
      const upstream = httpRequest(
        url,
        { method: req.method, headers: { ...req.headers, host: url.host } },
        (reply) => {
          const chunks: Buffer[] = [];
          reply.on('data', (c: Buffer) => chunks.push(c));
          reply.on('end', () => {
            if (res && !res.destroyed) {
              res.writeHead(reply.statusCode ?? 500, reply.headers);
              res.end(Buffer.concat(chunks));
            }
            resolve();
          });
        },
      );
      upstream.on('error', () => {
        req.socket.destroy();
        resolve();
      });
      upstream.end(body);
    });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const SERVICE_OF_SCOPE: Record<string, string> = {
  monitoring: 'cloudwatch',
  dynamodb: 'dynamodb',
  events: 'events',
  states: 'states',
  lambda: 'lambda',
  route53: 'route53',
  apigateway: 'apigateway',
};

/** The operation a request calls, e.g. `lambda:UpdateAlias`, from its signature and route. */
export function identify(req: IncomingMessage, body?: Buffer): { op: string; protocol: Protocol } {
  const scope =
    /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'unknown';
  const service = SERVICE_OF_SCOPE[scope] ?? scope;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return { op: `${service}:${target.split('.').pop()}`, protocol: 'json' };
  const path = (req.url ?? '').split('?')[0] ?? '';
  const method = req.method ?? 'GET';
  if (service === 'lambda') {
    const route: Array<[string, RegExp, string]> = [
      ['GET', /\/functions\/[^/]+\/aliases\/[^/]+$/, 'GetAlias'],
      ['PUT', /\/functions\/[^/]+\/aliases\/[^/]+$/, 'UpdateAlias'],
      ['GET', /\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
      ['GET', /\/functions\/[^/]+\/versions$/, 'ListVersionsByFunction'],
      ['GET', /\/tags\//, 'ListTags'],
      ['POST', /\/functions\/[^/]+\/invocations$/, 'Invoke'],
      ['GET', /\/functions\/[^/]+\/provisioned-concurrency$/, 'GetProvisionedConcurrencyConfig'],
      ['PUT', /\/functions\/[^/]+\/provisioned-concurrency$/, 'PutProvisionedConcurrencyConfig'],
      ['DELETE', /\/functions\/[^/]+\/provisioned-concurrency$/, 'DeleteProvisionedConcurrencyConfig'],
    ];
    const hit = route.find(([m, pattern]) => m === method && pattern.test(path));
    return { op: `lambda:${hit?.[2] ?? `${method} ${path}`}`, protocol: 'rest-json' };
  }
  if (service === 'elasticloadbalancing') {
    // The Query protocol: the operation is the form body's Action; errors are an XML ErrorResponse.
    const action = new URLSearchParams(body?.toString('utf8') ?? '').get('Action');
    return { op: `elasticloadbalancing:${action ?? `${method} ${path}`}`, protocol: 'xml' };
  }
  if (service === 'route53') {
    const route: Array<[string, RegExp, string]> = [
      ['GET', /\/hostedzone\/[^/]+\/rrset\/?$/, 'ListResourceRecordSets'],
      ['POST', /\/hostedzone\/[^/]+\/rrset\/?$/, 'ChangeResourceRecordSets'],
      ['GET', /\/change\/[^/]+$/, 'GetChange'],
      ['GET', /\/healthcheck\/[^/]+\/status$/, 'GetHealthCheckStatus'],
    ];
    const hit = route.find(([m, pattern]) => m === method && pattern.test(path));
    return { op: `route53:${hit?.[2] ?? `${method} ${path}`}`, protocol: 'xml' };
  }
  if (service === 'apigateway') {
    const route: Array<[string, RegExp, string]> = [
      ['GET', /\/restapis\/[^/]+\/stages\/[^/]+$/, 'GetStage'],
      ['PATCH', /\/restapis\/[^/]+\/stages\/[^/]+$/, 'UpdateStage'],
      ['GET', /\/restapis\/[^/]+\/deployments\/[^/]+$/, 'GetDeployment'],
    ];
    const hit = route.find(([m, pattern]) => m === method && pattern.test(path));
    return { op: `apigateway:${hit?.[2] ?? `${method} ${path}`}`, protocol: 'rest-json' };
  }
  return { op: `${service}:${method} ${path}`, protocol: 'json' };
}

/** The error replies each protocol's SDK parses into named errors. */
function reply(
  res: ServerResponse,
  protocol: Protocol,
  op: string,
  kind: 'throttle' | '5xx' | 'denied',
): void {
  const service = op.split(':')[0];
  const code =
    kind === '5xx'
      ? protocol === 'xml'
        ? 'InternalFailure'
        : 'ServiceUnavailableException'
      : kind === 'denied'
        ? protocol === 'xml'
          ? 'AccessDenied'
          : 'AccessDeniedException'
        : protocol === 'xml' || service === 'cloudwatch'
          ? 'Throttling'
          : service === 'lambda' || service === 'apigateway'
            ? 'TooManyRequestsException'
            : 'ThrottlingException';
  const status =
    kind === '5xx'
      ? 503
      : kind === 'denied'
        ? 403
        : service === 'lambda' || service === 'apigateway'
          ? 429
          : 400;
  const message = `injected ${kind} by the fault proxy`;
  if (protocol === 'xml') {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>${kind === '5xx' ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
    );
    return;
  }
  res.writeHead(status, { 'content-type': contentType(protocol), 'x-amzn-errortype': code });
  res.end(JSON.stringify({ __type: code, message }));
}

function contentType(protocol: Protocol): string {
  return protocol === 'xml'
    ? 'text/xml'
    : protocol === 'json'
      ? 'application/x-amz-json-1.0'
      : 'application/json';
}
