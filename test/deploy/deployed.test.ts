/**
 * What users deploy, deployed and run. `serverless package` builds the template and the bundles; the
 * template goes into moto's CloudFormation (a moto of this file's own); the deployed state machine
 * definition, function code and configuration are read back; then rollouts run the deployed definition
 * (cli/local/runner.ts), where every Task runs the deployed bundle on Node 24 with the deployed
 * environment and the credentials of the function's deployed role, and moto enforces IAM, so a
 * permission missing from the template fails here. The state machine's own calls (invoking each
 * function and the hooks, events:putEvents) are signed with its role's credentials the same way.
 *
 * The recover function, which no Task names, is run the same way on the events that start it: an
 * execution's status change and the schedule's sweep.
 *
 * moto compares IAM actions only, not resources (local/moto_server.py); package.test.ts checks the
 * resources each role is scoped to.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionTask, type LocalRunResult, runLocal } from '../../cli/local/runner';
import { createFunctionWithAlias } from '../../local/fixtures';
import {
  type Credentials,
  type DeployedFunction,
  type Invocation,
  invokeFunction,
} from '../../local/lambda-runtime';
import { enforceIam, type Moto, startMoto } from '../../local/moto';
import { VirtualClock } from '../../shared/core/clock';
import { TASK_SETTLE_SECONDS } from '../../shared/lambda/timeouts';
import { eventQueue, publishLambdaMinutes, statusChangeEvent } from '../support/aws';
import {
  type AwsAccess,
  assumeRole,
  type DeployedStack,
  deployPackage,
  packageService,
} from './support/stack';

const REGION = 'us-east-1';
const STAGE = 'ci';
const SOURCES = ['com.example.pipeline', 'com.example.deployer'];
const START = new Date('2026-11-02T10:00:00.000Z');
const HOOK = 'fledge-hook-smoke';
const FAILING_HOOK = 'fledge-hook-veto';

interface TaskRun {
  state: string;
  functionName: string;
  node: string;
  logs: string;
}

let moto: Moto;
let deployer: AwsAccess;
let stack: DeployedStack;
let machineAccess: AwsAccess;
const roles = new Map<string, Credentials>();
const hooks = new Map<string, DeployedFunction>();
const runs: TaskRun[] = [];
/** The detail types the state machine's events:putEvents integration put on the bus. */
const published: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'fledge-deployed-'));

const access = (credentials: Credentials): AwsAccess => ({
  endpoint: moto.endpoint,
  region: REGION,
  credentials,
});
const credentialsOf = (roleArn: string): Credentials => {
  const credentials = roles.get(roleArn);
  if (!credentials) throw new Error(`no credentials for role ${roleArn}`);
  return credentials;
};
const functionIds = () => Object.keys(stack.functions);
const functionByArn = (arn: string) => {
  const fn = Object.values(stack.functions).find((f) => f.arn === arn);
  if (!fn) throw new Error(`a Task names ${arn}, which is no function of the stack`);
  return fn;
};

/** An IAM user allowed everything: the person who deploys, creates the test fixtures and reads results. */
async function createDeployer(endpoint: string): Promise<AwsAccess> {
  const iam = new IAMClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await iam.send(new CreateUserCommand({ UserName: 'deployer' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'deployer',
      PolicyName: 'admin',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }))).AccessKey;
  iam.destroy();
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('no access key for the deployer');
  const credentials = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  // The fixtures and helpers use the SDK's default configuration: the deployer's, on this moto.
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  return { endpoint, region: REGION, credentials };
}

/** A user's hook function (nodejs24.x), which reports HOOK_STATUS from its environment. */
async function createHook(name: string, status: string): Promise<DeployedFunction> {
  const iam = new IAMClient({});
  const lambda = new LambdaClient({});
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `${name}-role`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const source =
    'export const handler = async (event) => ({ status: process.env.HOOK_STATUS, hook: event.hook });\n';
  const files = { 'index.mjs': new TextEncoder().encode(source) };
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs24.x',
      Role: role.Role?.Arn,
      Handler: 'index.handler',
      Environment: { Variables: { HOOK_STATUS: status } },
      Code: { ZipFile: zipSync(files) },
    }),
  );
  const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  const codeDir = join(dir, 'hooks', name);
  mkdirSync(codeDir, { recursive: true });
  writeFileSync(join(codeDir, 'index.mjs'), source);
  iam.destroy();
  lambda.destroy();
  return {
    name,
    arn: c.FunctionArn ?? '',
    runtime: c.Runtime ?? '',
    handler: c.Handler ?? '',
    timeoutSeconds: c.Timeout ?? 3,
    memorySize: c.MemorySize ?? 128,
    environment: c.Environment?.Variables ?? {},
    roleArn: c.Role ?? '',
    codeDir,
  };
}

/** Runs the deployed definition: Tasks on the deployed bundles, the state machine's calls as its role. */
function runDeployed(
  input: unknown,
  overrides: Parameters<typeof runLocal>[0]['taskOverrides'] = {},
): Promise<LocalRunResult> {
  const clock = new VirtualClock(START);
  const lambda = new LambdaClient(machineAccess);
  const events = new EventBridgeClient(machineAccess);
  const invoke = async (fn: DeployedFunction, payload: unknown, invokedArn: string, state: string) => {
    // Step Functions invokes with the state machine's role: moto refuses it without lambda:InvokeFunction.
    // By name: moto's signature check fails on a path with an encoded ARN (the IAM action is the same).
    await lambda.send(new InvokeCommand({ FunctionName: fn.name, InvocationType: 'DryRun' }));
    const run: Invocation = await invokeFunction(fn, payload, {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: credentialsOf(fn.roleArn),
      now: clock.now(),
      invokedArn,
    });
    runs.push({ state, functionName: fn.name, node: run.node, logs: run.logs });
    return run.result;
  };
  return runLocal({
    input,
    definition: structuredClone(stack.stateMachine.definition),
    stateMachineArn: stack.stateMachine.arn,
    virtualClock: clock,
    taskOverrides: overrides,
    runTask: ({ state, resource, input: payload }: FunctionTask) =>
      invoke(functionByArn(resource), payload, resource, state),
    integrations: {
      'arn:aws:states:::lambda:invoke': async (payload) => {
        const { FunctionName, Payload } = payload as { FunctionName: string; Payload: unknown };
        const hook = hooks.get(FunctionName);
        if (!hook) throw new Error(`no hook function ${FunctionName}`);
        return {
          StatusCode: 200,
          ExecutedVersion: '$LATEST',
          Payload: await invoke(hook, Payload, hook.arn, FunctionName),
        };
      },
      'arn:aws:states:::events:putEvents': async (payload) => {
        const { Entries } = payload as { Entries: Array<Record<string, unknown>> };
        const result = await events.send(
          new PutEventsCommand({
            Entries: Entries.map((e) => ({ ...e, Detail: JSON.stringify(e.Detail) })),
          }),
        );
        if (result.FailedEntryCount) throw new Error(`putEvents failed: ${JSON.stringify(result.Entries)}`);
        published.push(...Entries.map((e) => String(e.DetailType)));
        return { FailedEntryCount: 0, Entries: result.Entries };
      },
    },
  }).finally(() => {
    lambda.destroy();
    events.destroy();
  });
}

async function readAlias(functionName: string) {
  const alias = await new LambdaClient({}).send(
    new GetAliasCommand({ FunctionName: functionName, Name: 'live' }),
  );
  return { version: alias.FunctionVersion, weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {} };
}

beforeAll(async () => {
  moto = await startMoto();
  deployer = await createDeployer(moto.endpoint);
  await packageService(join(dir, 'package'), STAGE, { releaseSources: SOURCES.join(',') });
  stack = await deployPackage(join(dir, 'package'), `fledge-${STAGE}`, deployer);

  // What the user has: functions with an alias on version 1, their metrics, and hook functions.
  for (const name of ['checkout', 'payments', 'search', 'basket'])
    await createFunctionWithAlias(name, 'live', 2);
  for (const healthy of ['checkout', 'basket']) {
    await publishLambdaMinutes(healthy, 'live', START, 30, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 1000, errors: 4 },
    });
  }
  await publishLambdaMinutes('payments', 'live', START, 30, {
    '1': { requests: 900, errors: 4 },
    '2': { requests: 100, errors: 10 },
  });
  hooks.set(HOOK, await createHook(HOOK, 'Succeeded'));
  hooks.set(FAILING_HOOK, await createHook(FAILING_HOOK, 'Failed'));
  // checkout's alias keeps warm instances: its release runs the deployed provision-canary function, and
  // promote removes the new version's provisioned concurrency, each under its own role.
  await new LambdaClient({}).send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'checkout',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 10,
    }),
  );

  // Lambda and Step Functions assume the deployed roles (trust policies are checked below).
  const roleArns = [
    stack.stateMachine.roleArn,
    ...Object.values(stack.functions).map((f) => f.roleArn),
    ...[...hooks.values()].map((h) => h.roleArn),
  ];
  for (const arn of roleArns) roles.set(arn, await assumeRole(arn, deployer));
  machineAccess = access(credentialsOf(stack.stateMachine.roleArn));

  await enforceIam(moto.endpoint);
}, 240_000);

afterAll(async () => {
  await moto?.stop();
});

describe('the deployed stack', () => {
  it('has every function of the template, on nodejs24.x, running the zip serverless packaged', () => {
    const templateFunctions = Object.entries(stack.template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id);

    const physical = (id: string) =>
      stack.resources.find((r) => r.LogicalResourceId === id)?.PhysicalResourceId;

    expect(functionIds().sort()).toEqual(templateFunctions.sort());
    for (const [id, fn] of Object.entries(stack.functions)) {
      const environment = stack.template.Resources[id]?.Properties.Environment as
        | { Variables: Record<string, string | { Ref: string }> }
        | undefined;
      const variables = environment?.Variables ?? {};
      const expected = Object.fromEntries(
        Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : physical(v.Ref)]),
      );

      expect(fn.runtime).toBe('nodejs24.x');
      expect(fn.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/); // deployPackage checked the zip against it
      expect(fn.environment, id).toEqual(expected); // tables by their deployed names
    }
  });

  it('deploys the definition with every Task resolved to a function of the stack, JSONPath intact', () => {
    const tasks = Object.values(stack.stateMachine.definition.States).filter((s) => s.Type === 'Task');
    const functionArns = Object.values(stack.functions).map((f) => f.arn);
    const text = JSON.stringify(stack.stateMachine.definition);

    for (const task of tasks) {
      const resource = String(task.Resource);
      if (!resource.startsWith('arn:aws:states:::')) expect(functionArns).toContain(resource);
    }
    expect(text).not.toMatch(/\$\{/);
    expect(text).toContain('"executionId.$":"$$.Execution.Id"');
  });

  it('lets Lambda assume every function role and Step Functions the state machine role, nothing else', () => {
    const principals = (arn: string) =>
      (stack.trustPolicies[arn]?.Statement ?? []).map((s) => JSON.stringify(s.Principal));

    expect(principals(stack.stateMachine.roleArn)).toEqual([
      JSON.stringify({ Service: `states.${REGION}.amazonaws.com` }),
    ]);
    for (const fn of Object.values(stack.functions)) {
      expect(principals(fn.roleArn)).toEqual([JSON.stringify({ Service: ['lambda.amazonaws.com'] })]);
    }
  });

  it('starts rollouts from deploy events of the configured sources only, and from published versions', async () => {
    const starting = Object.values(stack.rules).filter((r) =>
      r.targets.some((t) => t.Arn === stack.stateMachine.arn),
    );
    expect(starting).toHaveLength(2);
    const event = (name: string) =>
      JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
    const trail = (detail: Record<string, unknown>) => {
      const e = event('publish-version');
      return { ...e, detail: { ...e.detail, ...detail } };
    };
    const cases: Array<[string, Record<string, unknown>, boolean]> = [
      ['a published version', event('publish-version'), true],
      ['code updated and published', event('update-function-code-published'), true],
      [
        'code updated, not published',
        trail({ eventName: 'UpdateFunctionCode20150331v2', requestParameters: { functionName: 'checkout' } }),
        false,
      ],
      ['a PublishVersion that failed', trail({ errorCode: 'ResourceConflictException' }), false],
      [
        'a new function, published',
        trail({ eventName: 'CreateFunction20150331', requestParameters: { publish: true } }),
        false,
      ],
      [
        'a release request from a configured source',
        { ...event('canary-release-requested'), source: SOURCES[1] },
        true,
      ],
      [
        'a release request from another source',
        { ...event('canary-release-requested'), source: 'com.example.other' },
        false,
      ],
    ];
    // moto does not deliver to a Step Functions target: a queue beside it shows what each rule matches.
    const sqs = new SQSClient({});
    const events = new EventBridgeClient({});
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'starts' }));
    const queueArn = (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    for (const rule of starting)
      await events.send(
        new PutTargetsCommand({ Rule: rule.name, Targets: [{ Id: 'probe', Arn: queueArn }] }),
      );

    for (const [name, e] of cases) {
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: e.source as string,
              DetailType: e['detail-type'] as string,
              Detail: JSON.stringify(e.detail),
              Resources: [name],
            },
          ],
        }),
      );
    }
    const started: string[] = [];
    for (;;) {
      const batch = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
      );
      if (!batch.Messages?.length) break;
      for (const m of batch.Messages) started.push(...(JSON.parse(m.Body ?? '{}').resources as string[]));
    }
    for (const rule of starting)
      await events.send(new RemoveTargetsCommand({ Rule: rule.name, Ids: ['probe'] }));
    sqs.destroy();
    events.destroy();

    expect(started.sort()).toEqual(
      cases
        .filter(([, , starts]) => starts)
        .map(([name]) => name)
        .sort(),
    );
  });

  it('has no function that nothing starts: each is named by a Task or is the target of a rule', () => {
    const tasks = Object.values(stack.stateMachine.definition.States).map((s) => String(s.Resource));
    const ruleTargets = Object.values(stack.rules).flatMap((r) => r.targets.map((t) => t.Arn ?? ''));

    for (const fn of Object.values(stack.functions)) {
      expect([...tasks, ...ruleTargets], fn.name).toContain(fn.arn);
    }
  });

  it('exports the state machine ARN as fledge-canary-<stage>-arn', () => {
    expect(stack.outputs.CanaryStateMachineArn).toBe(stack.stateMachine.arn);
  });
});

describe('moto enforces IAM', () => {
  it('refuses a request signed with credentials it does not know', async () => {
    const client = new LambdaClient({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'nope' },
    });

    await expect(
      client.send(new GetAliasCommand({ FunctionName: 'checkout', Name: 'live' })),
    ).rejects.toThrow(/security token|InvalidClientTokenId|UnrecognizedClient/i);
  });

  it('refuses a role an action its policy does not allow, and allows what it does', async () => {
    const evaluate = Object.values(stack.functions).find((f) => f.name.endsWith('-evaluate-metrics'));
    const credentials = credentialsOf(evaluate?.roleArn ?? '');
    const lambda = new LambdaClient(access(credentials));
    const cloudwatch = new CloudWatchClient(access(credentials));

    await expect(
      lambda.send(new UpdateAliasCommand({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '2' })),
    ).rejects.toThrow(/not authorized to perform: lambda:UpdateAlias/);
    await expect(cloudwatch.send(new DescribeAlarmsCommand({}))).resolves.toBeDefined();
  });

  it('fails a bundle whose role lacks a permission it needs', async () => {
    const plan = Object.values(stack.functions).find((f) => f.name.endsWith('-plan'));
    const evaluate = Object.values(stack.functions).find((f) => f.name.endsWith('-evaluate-metrics'));
    if (!plan || !evaluate) throw new Error('no plan or evaluate-metrics function');

    const run = invokeFunction(
      plan,
      { input: { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } } },
      { region: REGION, endpoint: moto.endpoint, credentials: credentialsOf(evaluate.roleArn), now: START },
    );

    await expect(run).rejects.toMatchObject({
      name: 'AccessDeniedException',
      errorMessage: expect.stringMatching(/evaluate-metrics.* is not authorized to perform: \w+:\w+/),
    });
  });
});

describe('rollouts through the deployed state machine and bundles', () => {
  it('promotes a healthy version, with both hooks, and leaves the alias on it', async () => {
    const result = await runDeployed({
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
      hooks: { beforeAllowTraffic: HOOK, afterAllowTraffic: HOOK },
    });

    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ outcome: 'promoted', canary: '2' });
    expect(result.path).toEqual(
      expect.arrayContaining([
        'Plan',
        'ProvisionCanary',
        'BeforeAllowTraffic',
        'SetWeight',
        'Evaluate',
        'Promote',
        'AfterAllowTraffic',
      ]),
    );
    expect(await readAlias('checkout')).toEqual({ version: '2', weights: {} });
  }, 120_000);

  it('rolls a faulty version back and leaves the alias on the baseline', async () => {
    const result = await runDeployed({
      target: { type: 'lambda-alias', functionName: 'payments', alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('fledge.RolledBack');
    expect(result.path).toEqual(expect.arrayContaining(['SetWeight', 'Evaluate', 'Rollback', 'RolledBack']));
    expect(await readAlias('payments')).toEqual({ version: '1', weights: {} });
  }, 120_000);

  it('promotes once more when Promote is retried after its first attempt promoted and closed the record', async () => {
    let attempts = 0;
    const result = await runDeployed(
      {
        target: { type: 'lambda-alias', functionName: 'basket', alias: 'live', version: '2' },
        strategy: 'AllAtOnce',
      },
      {
        // The first attempt runs the deployed bundle to its end; its response is lost, so the state
        // machine retries it. The retry finds the record closed and reads it back (dynamodb:GetItem).
        Promote: async (input, real) => {
          attempts += 1;
          const output = await real(input);
          if (attempts === 1)
            throw Object.assign(new Error('simulated: the response was lost'), {
              name: 'Lambda.ServiceException',
            });
          return output;
        },
      },
    );

    expect(attempts).toBe(2);
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ outcome: 'promoted', canary: '2' });
    expect(await readAlias('basket')).toEqual({ version: '2', weights: {} });
  }, 120_000);

  it('refuses at Plan a hook the state machine role could not invoke, before any traffic moves', async () => {
    const result = await runDeployed({
      target: { type: 'lambda-alias', functionName: 'search', alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
      hooks: { beforeAllowTraffic: 'checkout-smoke', afterAllowTraffic: 'fledge-hook-smoek' },
    });

    expect(result.path).toEqual(['Plan', 'Rejected']);
    expect(result.error).toBe('InvalidInputError');
    expect(result.cause).toContain(
      'hooks.beforeAllowTraffic: fledge may invoke only functions named fledge-hook-* (the hookFunctions deploy parameter), and checkout-smoke is not one',
    );
    expect(result.cause).toContain('hooks.afterAllowTraffic: there is no Lambda function fledge-hook-smoek');
    expect(await readAlias('search')).toEqual({ version: '1', weights: {} });
  }, 120_000);

  it('announces a failed rollback with the state machine role (events:PutEvents)', async () => {
    const result = await runDeployed(
      {
        target: { type: 'lambda-alias', functionName: 'search', alias: 'live', version: '2' },
        strategy: 'Canary10Percent5Minutes',
        hooks: { beforeAllowTraffic: FAILING_HOOK },
      },
      {
        // The deployed Rollback ran in the rollout above; here it fails, to reach AnnounceRollbackFailed.
        Rollback: async () => {
          throw Object.assign(new Error('simulated: the rollback cannot write'), {
            name: 'Lambda.ServiceException',
          });
        },
      },
    );

    expect(result.path).toEqual(
      expect.arrayContaining([
        'BeforeAllowTraffic',
        'BeforeHookFailed',
        'Rollback',
        'AnnounceRollbackFailed',
      ]),
    );
    expect(result.error).toBe('fledge.RollbackFailed');
    // AnnounceRollbackFailed catches its own failure, so the path alone would not show a refused put.
    expect(published).toEqual(['Canary Rollback Failed']);
  }, 120_000);

  it('ran every function a Task names as its deployed bundle on Node 24, logging as deployed', () => {
    const taskFunctions = new Set(
      Object.values(stack.stateMachine.definition.States)
        .filter((s) => s.Type === 'Task' && !String(s.Resource).startsWith('arn:aws:states:::'))
        .map((s) => functionByArn(String(s.Resource)).name),
    );

    expect(new Set(runs.map((r) => r.functionName))).toEqual(new Set([...taskFunctions, HOOK, FAILING_HOOK]));
    for (const run of runs) expect(run.node).toMatch(/^v24\./);
    for (const run of runs.filter((r) => taskFunctions.has(r.functionName))) {
      // POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL come from the deployed environment.
      expect(run.logs).toMatch(/"service":"fledge"/);
    }
  });
});

describe('the deployed recover function', () => {
  const fn = (suffix: string) => {
    const found = Object.values(stack.functions).find((f) => f.name.endsWith(suffix));
    if (!found) throw new Error(`no function named *${suffix} in the stack`);
    return found;
  };
  const run = async (f: DeployedFunction, payload: unknown, now = START) => {
    const invocation = await invokeFunction(f, payload, {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: credentialsOf(f.roleArn),
      now,
    });
    expect(invocation.node).toMatch(/^v24\./);
    return invocation.result;
  };

  /**
   * An execution of the deployed state machine in moto (which runs none of its states) whose Plan and
   * SetWeight ran as the deployed bundles, leaving 30% on the canary; then it is stopped.
   */
  async function stoppedMidBake(functionName: string) {
    await createFunctionWithAlias(functionName, 'live', 2);
    await publishLambdaMinutes(functionName, 'live', START, 30, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 0 },
    });
    const input = {
      target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
      strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
    };
    const sfn = new SFNClient({});
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: stack.stateMachine.arn, input: JSON.stringify(input) }),
    );
    const rollout = await run(fn('-plan'), { input, executionId: executionArn });
    await run(fn('-set-weight'), { rollout, executionId: executionArn });
    const shifted = await readAlias(functionName);
    await sfn.send(new StopExecutionCommand({ executionArn, cause: 'stopped by an operator' }));
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    sfn.destroy();
    const stoppedAt = (stopped.stopDate ?? new Date()).getTime();
    /** The function's clock this long after the stop. */
    const afterStop = (seconds: number) => new Date(stoppedAt + seconds * 1000);
    return { shifted, stopped, afterStop };
  }

  const scheduledEvent = () => ({
    version: '0',
    id: '7c2e9b1f-3d4a-4b5c-8e6f-1a2b3c4d5e6f',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: stack.stateMachine.arn.split(':')[4],
    time: START.toISOString(),
    region: REGION,
    resources: [],
    detail: {},
  });

  it('restores the baseline of an execution stopped mid-bake, from its status change, and says so', async () => {
    const { shifted, stopped, afterStop } = await stoppedMidBake('orders');
    const readEvents = await eventQueue('orders');

    // The event comes while a Task Lambda of the execution could still run for 5 s more: the function
    // waits that long in-process (real time), then acts.
    const began = Date.now();
    const results = await run(
      fn('-recover'),
      statusChangeEvent(stopped, { account: stack.stateMachine.arn.split(':')[4] ?? '', region: REGION }),
      afterStop(TASK_SETTLE_SECONDS - 5),
    );
    const took = Date.now() - began;

    expect(shifted).toEqual({ version: '1', weights: { '2': 0.3 } });
    expect(stopped.status).toBe('ABORTED');
    expect(took).toBeGreaterThanOrEqual(5_000);
    expect(results).toMatchObject([
      { action: 'rolled-back', weight: 0, reason: expect.stringMatching(/stopped/) },
    ]);
    expect(await readAlias('orders')).toEqual({ version: '1', weights: {} });
    // Publishing is best effort, so a refused events:PutEvents would show only here.
    expect(await readEvents()).toEqual([
      expect.objectContaining({
        'detail-type': 'Canary Rolled Back',
        detail: expect.objectContaining({ reason: expect.stringMatching(/stopped/) }),
      }),
    ]);
  }, 120_000);

  it('restores one whose status change never came, on the schedule once its Tasks have ended, and then frees the target', async () => {
    const { shifted, afterStop } = await stoppedMidBake('billing');

    // A sweep right after the stop leaves it (a Task may still write); the next one acts.
    const early = (await run(fn('-recover'), scheduledEvent(), afterStop(10))) as Array<{
      action: string;
      label: string;
      reason: string;
    }>;
    const splitMeanwhile = await readAlias('billing');
    const swept = (await run(fn('-recover'), scheduledEvent(), afterStop(TASK_SETTLE_SECONDS + 1))) as Array<{
      action: string;
      label: string;
    }>;
    const next = await run(fn('-plan'), {
      input: { target: { type: 'lambda-alias', functionName: 'billing', alias: 'live', version: '2' } },
      executionId: `${stack.stateMachine.arn.replace(':stateMachine:', ':execution:')}:next-billing`,
    });

    expect(shifted).toEqual({ version: '1', weights: { '2': 0.3 } });
    expect(early.filter((r) => r.label.includes('billing'))).toEqual([
      expect.objectContaining({ action: 'none', reason: expect.stringMatching(/recovery acts from/) }),
    ]);
    expect(splitMeanwhile).toEqual({ version: '1', weights: { '2': 0.3 } });
    expect(swept).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'rolled-back', weight: 0 })]),
    );
    expect(swept.filter((r) => r.action === 'rolled-back')).toEqual([
      expect.objectContaining({ label: expect.stringContaining('billing') }),
    ]);
    expect(await readAlias('billing')).toEqual({ version: '1', weights: {} });
    expect(next).toMatchObject({ traffic: { baseline: '1', canary: '2', weight: 0 } });
  }, 120_000);
});
