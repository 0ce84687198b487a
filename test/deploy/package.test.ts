/**
 * What gets deployed: the ASL passes asl-validator, `serverless package` builds a template, and
 * cfn-lint finds no error in it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import aslValidator from 'asl-validator';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/shared/definition';
import { readServerlessConfig } from '../../local/serverless-config';
import { EXECUTION_TIMEOUT_SECONDS } from '../../shared/core/limits';
import {
  FUNCTION_TIMEOUT_SECONDS,
  type FunctionName,
  TASK_FUNCTIONS,
  TASK_MARGIN_SECONDS,
  TASK_SETTLE_SECONDS,
} from '../../shared/lambda/timeouts';
import { packageService } from './support/stack';

const exec = promisify(execFile);
const FUNCTIONS = Object.keys(readServerlessConfig().functions);

describe('the state machine definition', () => {
  it('is valid ASL once CloudFormation has resolved the function ARNs', () => {
    const { definition } = loadDefinition();

    const { isValid, errorsText } = aslValidator(definition);

    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it('gives every Task a timeout, a Retry and a Catch', () => {
    const { definition } = loadDefinition();

    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

    expect(tasks.map(([name]) => name).sort()).toEqual([
      'AfterAllowTraffic',
      'AnnounceRollbackFailed',
      'AnnounceTrafficConflict',
      'BeforeAllowTraffic',
      'Evaluate',
      'Plan',
      'Promote',
      'ProvisionCanary',
      'Rollback',
      'SetWeight',
    ]);
    for (const [, state] of tasks) {
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
      expect(state.Retry).toEqual(
        expect.arrayContaining([expect.objectContaining({ JitterStrategy: 'FULL' })]),
      );
      expect(state.Catch).toEqual(
        expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]),
      );
    }
  });
});

describe('timeouts that agree', () => {
  it('give each Task 15 s more than its function, and the execution the limit Plan checks against', () => {
    const { definition, taskFunctions } = loadDefinition();

    for (const [state, fn] of Object.entries(taskFunctions)) {
      const seconds = FUNCTION_TIMEOUT_SECONDS[fn as FunctionName];
      expect(definition.States[state]?.TimeoutSeconds, state).toBe(seconds + TASK_MARGIN_SECONDS);
    }
    expect(definition.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
  });

  it("give each hook Task a little more than Lambda's 900 s, so the hook's own timeout ends it first", () => {
    const { definition } = loadDefinition();

    for (const state of ['BeforeAllowTraffic', 'AfterAllowTraffic']) {
      const timeout = definition.States[state]?.TimeoutSeconds ?? 0;
      expect(timeout, state).toBeGreaterThan(900);
      expect(timeout, state).toBeLessThanOrEqual(930);
    }
  });

  it("name every Task's function among those recovery waits for after a stop", () => {
    const { taskFunctions } = loadDefinition();

    expect(new Set(Object.values(taskFunctions))).toEqual(new Set(TASK_FUNCTIONS));
    expect(TASK_SETTLE_SECONDS).toBe(
      Math.max(...Object.values(taskFunctions).map((fn) => FUNCTION_TIMEOUT_SECONDS[fn as FunctionName])) +
        TASK_MARGIN_SECONDS,
    );
  });
});

describe('the packaged template', () => {
  const out = mkdtempSync(join(tmpdir(), 'fledge-package-'));
  const sources = ['com.example.pipeline', 'com.example.deployer'];
  let template: Template;

  beforeAll(async () => {
    await packageService(out, 'ci', { releaseSources: sources.join(','), restApis: 'a1b2c3d4e5' });
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  });

  it.each(['cloudformation-template-create-stack.json', 'cloudformation-template-update-stack.json'])(
    '%s: cfn-lint reports no error, and no warning that docs/DEVELOPING.md does not explain',
    async (file) => {
      const findings = await cfnLint(join(out, file));
      const explained = explainedCfnLintRules();

      expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
      expect(
        findings.filter((f) => f.Level === 'Warning' && !explained.has(f.Rule.Id)).map((f) => f.Message),
      ).toEqual([]);
    },
    120_000, // cfn-lint takes about 10 s a template on two idle cores
  );

  it('deploys a Standard state machine and every function on nodejs24.x', () => {
    const resources = Object.values(template.Resources);
    const machines = resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');

    expect(machines).toHaveLength(1);
    expect(machines[0]?.Properties.StateMachineType).toBe('STANDARD');
    expect(functions).toHaveLength(FUNCTIONS.length);
    for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs24.x');
  });

  it('sets each function the timeout its Task and its SDK clients were sized for', () => {
    expect(FUNCTIONS.sort()).toEqual(Object.keys(FUNCTION_TIMEOUT_SECONDS).sort());
    for (const name of FUNCTIONS) {
      const id = `${name.replace(/-(\w)/g, (_, c: string) => `Dash${c}`).replace(/^\w/, (c) => c.toUpperCase())}LambdaFunction`;
      expect(template.Resources[id]?.Properties.Timeout, id).toBe(
        FUNCTION_TIMEOUT_SECONDS[name as FunctionName],
      );
    }
  });

  it('bundles each function on its own: one minified CommonJS file with the SDK in it, no source map', () => {
    for (const name of FUNCTIONS) {
      const zip = unzipSync(new Uint8Array(readFileSync(join(out, `${name}.zip`))));
      const files = Object.keys(zip);
      const code = new TextDecoder().decode(zip[files[0] ?? '']);
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? '');
      const external = required.filter((m) => !m.startsWith('node:') && !builtinModules.includes(m));

      expect(files).toEqual([`functions/${name}/handler.cjs`]);
      expect(code).toContain('"aws-sdk-js"'); // the SDK's user agent: the SDK is in the bundle
      // Node's own modules only; the SDK's optional CRT signer (SigV4a, unused) stays an unresolved try.
      expect(external.filter((m) => m !== '@aws-sdk/signature-v4-crt')).toEqual([]);
      // docs/PERFORMANCE.md: 101-182 KB with the SDK bundled (Plan the largest: it reads every target kind,
      // so it carries the Lambda, Route 53, ELB and API Gateway clients); 100 KB is met only without the SDK.
      expect(statSync(join(out, `${name}.zip`)).size).toBeLessThan(200 * 1024);
    }
  });

  it('carries an SDK client for each service its role may call, and for no other', () => {
    // A client's signing name, as each bundled client declares it, and the IAM prefix of its actions.
    const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };
    for (const name of FUNCTIONS) {
      const zip = unzipSync(new Uint8Array(readFileSync(join(out, `${name}.zip`))));
      const code = new TextDecoder().decode(Object.values(zip)[0]);
      const clients = new Set(
        [...code.matchAll(/signingProperties:\{name:"([a-z0-9]+)"/g)].map((m) => m[1] ?? ''),
      );
      const id = `${name.replace(/-(\w)/g, (_, c: string) => `Dash${c}`).replace(/^\w/, (c) => c.toUpperCase())}`;
      const role = template.Resources[`${id}IamRoleLambdaExecution`];
      const policies = (role?.Properties.Policies ?? []) as Array<{
        PolicyDocument: { Statement: Array<{ Action: string | string[] }> };
      }>;
      const allowed = new Set(
        policies
          .flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()))
          .map((action) => action.split(':')[0] ?? '')
          // Lambda's own logging, which the runtime does, not the function's code.
          .filter((service) => service !== 'logs'),
      );

      expect([...clients].map((c) => IAM_PREFIX[c] ?? c).sort(), name).toEqual([...allowed].sort());
    }
  });

  it('logs every execution to a log group that expires, and traces it with X-Ray', () => {
    const machine = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    const logging = machine?.Properties.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }>;
    };
    const groupId = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? '';

    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(template.Resources[groupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: '/aws/vendedlogs/states/fledge-canary-ci', RetentionInDays: 30 },
    });
    expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it("creates no role that nothing uses (serverless's shared IamRoleLambdaExecution)", () => {
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');

    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [id] of roles) {
      const others = JSON.stringify(
        Object.fromEntries(Object.entries(template.Resources).filter(([other]) => other !== id)),
      );
      expect(others, `${id} is used`).toContain(`"${id}"`);
    }
  });

  it('exports the state machine ARN as fledge-canary-<stage>-arn, the name docs/TRIGGERS.md imports', () => {
    const output = template.Outputs.CanaryStateMachineArn as { Value: unknown; Export: { Name: string } };
    const triggers = readFileSync(new URL('../../docs/TRIGGERS.md', import.meta.url), 'utf8');
    const machineId = Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
    )?.[0];

    expect(output).toEqual({
      Description: expect.any(String),
      Value: { Ref: machineId },
      Export: { Name: 'fledge-canary-ci-arn' },
    });
    expect(triggers).toContain('!ImportValue fledge-canary-prod-arn');
    expect(triggers).toMatch(/fledge-canary-<stage>-arn/);
  });

  describe('least privilege', () => {
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
    const statements = (roleId: string): Statement[] => {
      const role = template.Resources[roleId];
      const policies = (role?.Properties.Policies ?? []) as Array<{
        PolicyDocument: { Statement: Statement[] };
      }>;
      return policies.flatMap((p) => p.PolicyDocument.Statement);
    };
    const actions = (roleId: string) => [
      ...new Set(
        statements(roleId)
          .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
          .filter((a) => !a.startsWith('logs:'))
          .sort(),
      ),
    ];
    const roleOf = (functionId: string) => {
      const role = template.Resources[functionId]?.Properties.Role as
        | { 'Fn::GetAtt': [string, string] }
        | undefined;
      if (!role) throw new Error(`${functionId} has no role`);
      return role['Fn::GetAtt'][0];
    };

    it('gives each function its own role, with only the actions it calls', () => {
      const expected: Record<string, string[]> = {
        PlanLambdaFunction: [
          'apigateway:GET',
          'cloudwatch:DescribeAlarms',
          'cloudwatch:GetMetricData',
          'cloudwatch:ListMetrics',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetHealth',
          'events:PutEvents',
          'lambda:GetAlias',
          'lambda:GetFunctionConfiguration',
          'lambda:GetProvisionedConcurrencyConfig',
          'lambda:ListTags',
          'lambda:ListVersionsByFunction',
          'route53:ChangeResourceRecordSets',
          'route53:GetChange',
          'route53:GetHealthCheck',
          'route53:ListResourceRecordSets',
          'states:DescribeExecution',
        ],
        SetDashweightLambdaFunction: [
          'apigateway:GET',
          'apigateway:PATCH',
          'dynamodb:GetItem',
          'dynamodb:UpdateItem',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:ModifyRule',
          'events:PutEvents',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
          'route53:ChangeResourceRecordSets',
          'route53:GetChange',
          'route53:ListResourceRecordSets',
        ],
        EvaluateDashmetricsLambdaFunction: [
          'cloudwatch:DescribeAlarms',
          'cloudwatch:GetMetricData',
          'dynamodb:GetItem',
          'dynamodb:UpdateItem',
          'route53:GetHealthCheckStatus',
        ],
        // Asks for the new version's provisioned concurrency and reads its status; writes the record first,
        // and reads the operators' requests (an abort ends the wait).
        ProvisionDashcanaryLambdaFunction: [
          'dynamodb:GetItem',
          'dynamodb:UpdateItem',
          'lambda:GetProvisionedConcurrencyConfig',
          'lambda:PutProvisionedConcurrencyConfig',
        ],
        RecoverLambdaFunction: [
          'apigateway:GET',
          'apigateway:PATCH',
          'dynamodb:GetItem',
          'dynamodb:Scan',
          'dynamodb:UpdateItem',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:ModifyRule',
          'events:PutEvents',
          'lambda:DeleteProvisionedConcurrencyConfig',
          'lambda:GetAlias',
          'lambda:GetProvisionedConcurrencyConfig',
          'lambda:UpdateAlias',
          'route53:ChangeResourceRecordSets',
          'route53:GetChange',
          'route53:ListResourceRecordSets',
          'states:DescribeExecution',
        ],
      };
      // SetWeight reads the operators' requests before it moves traffic; Promote reads the record back,
      // when a retried attempt finds it already closed; Rollback reads nothing. Both remove the new
      // version's provisioned concurrency once the traffic is where it ends.
      const removeProvisioned = [
        'lambda:DeleteProvisionedConcurrencyConfig',
        'lambda:GetProvisionedConcurrencyConfig',
      ];
      expected.PromoteLambdaFunction = [
        ...(expected.SetDashweightLambdaFunction ?? []),
        ...removeProvisioned,
      ].sort();
      expected.RollbackLambdaFunction = [
        ...(expected.SetDashweightLambdaFunction ?? []),
        ...removeProvisioned,
      ]
        .filter((a) => a !== 'dynamodb:GetItem')
        .sort();
      const functionIds = Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([id]) => id);

      const roles = functionIds.map(roleOf);

      expect(functionIds.sort()).toEqual(Object.keys(expected).sort());
      expect(new Set(roles).size).toBe(functionIds.length);
      for (const [fn, list] of Object.entries(expected)) expect(actions(roleOf(fn)), fn).toEqual(list);
    });

    it("allows provisioned concurrency calls only on the qualifiers of the functions fledge may change (the targetFunctions parameter's)", () => {
      const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
      const all = roles.flatMap(([id]) => statements(id));
      const onAlias = all.find((s) => [s.Action].flat().includes('lambda:UpdateAlias'));
      const provisioned = all.filter((s) =>
        [s.Action].flat().some((a) => a.includes('ProvisionedConcurrency')),
      );
      const subs = (resource: unknown) =>
        [resource].flat().map((r) => (r as { 'Fn::Sub'?: string })['Fn::Sub'] ?? JSON.stringify(r));
      const [aliasArn] = subs(onAlias?.Resource);

      expect(aliasArn).toMatch(/function:\*$/);
      expect(provisioned.length).toBeGreaterThanOrEqual(4);
      for (const s of provisioned) {
        expect(
          [s.Action].flat().every((a) => a.includes('ProvisionedConcurrency')),
          JSON.stringify(s),
        ).toBe(true);
        // The same ${targetFunctions} as UpdateAlias, qualified: narrowing the parameter narrows both.
        expect(subs(s.Resource)).toEqual([`${aliasArn}:*`]);
      }
    });

    it('uses a wildcard resource only where AWS requires it or composite alarms need it', () => {
      const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');

      const wildcards = roles.flatMap(([id]) =>
        statements(id)
          .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')))
          .map((s) => `${id}: ${[s.Action].flat().join(',')}`),
      );

      expect(wildcards.sort()).toEqual([
        // GetMetricData has no resource-level permissions.
        'EvaluateDashmetricsIamRoleLambdaExecution: cloudwatch:DescribeAlarms',
        'EvaluateDashmetricsIamRoleLambdaExecution: cloudwatch:GetMetricData',
        // CloudWatch returns composite alarms only to a caller allowed DescribeAlarms on "*".
        'PlanIamRoleLambdaExecution: cloudwatch:DescribeAlarms',
        'PlanIamRoleLambdaExecution: cloudwatch:GetMetricData,cloudwatch:ListMetrics',
        // ELB's Describe actions take no resource-level permissions.
        'PlanIamRoleLambdaExecution: elasticloadbalancing:DescribeListeners,elasticloadbalancing:DescribeRules,elasticloadbalancing:DescribeTargetHealth',
        'PromoteIamRoleLambdaExecution: elasticloadbalancing:DescribeListeners,elasticloadbalancing:DescribeRules',
        'RecoverIamRoleLambdaExecution: elasticloadbalancing:DescribeListeners,elasticloadbalancing:DescribeRules',
        'RollbackIamRoleLambdaExecution: elasticloadbalancing:DescribeListeners,elasticloadbalancing:DescribeRules',
        'SetDashweightIamRoleLambdaExecution: elasticloadbalancing:DescribeListeners,elasticloadbalancing:DescribeRules',
        // Step Functions log delivery and X-Ray take no resource ARN.
        `StateMachineRole: ${[
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ].join(',')}`,
      ]);
    });

    it('lets fledge read and patch only the stages of the REST APIs the restApis parameter names', () => {
      const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
      const apigateway = roles.flatMap(([id]) =>
        statements(id).filter((s) => [s.Action].flat().some((a) => a.startsWith('apigateway:'))),
      );
      const resources = JSON.stringify(apigateway.map((s) => s.Resource));

      expect(apigateway.length).toBeGreaterThan(0);
      expect(resources).toContain('::/restapis/a1b2c3d4e5/stages/*');
      expect(resources).toContain('::/restapis/a1b2c3d4e5/deployments/*');
      expect(resources).not.toMatch(/restapis\/\*/);
      // Only GetStage and UpdateStage on stages; the deployments are only read, by Plan.
      for (const s of apigateway) {
        if (JSON.stringify(s.Resource).includes('/deployments/'))
          expect([s.Action].flat()).toEqual(['apigateway:GET']);
      }
    });

    it('lets Plan look up only the hook functions the state machine may invoke, and tells it their pattern', () => {
      const environment = template.Resources.PlanLambdaFunction?.Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      const lookups = statements(roleOf('PlanLambdaFunction')).filter(
        (s) => JSON.stringify([s.Action].flat()) === '["lambda:GetFunctionConfiguration"]',
      );

      expect(environment.Variables.FLEDGE_HOOK_FUNCTIONS).toBe('fledge-hook-*');
      expect(lookups).toHaveLength(1);
      expect(JSON.stringify(lookups[0]?.Resource)).toMatch(/function:fledge-hook-\*"/);
      expect(JSON.stringify(lookups[0]?.Resource)).not.toMatch(/function:\*"/);
    });

    it("lets the state machine invoke only fledge's functions and the hook pattern", () => {
      const invoke = statements('StateMachineRole').filter((s) => s.Action === 'lambda:InvokeFunction');
      const machine = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::StepFunctions::StateMachine',
      );
      // The functions the definition's Tasks name: the variables of its Fn::Sub.
      const definition = machine?.Properties.DefinitionString as { 'Fn::Sub': [string, object] } | undefined;
      const [, variables = {}] = definition?.['Fn::Sub'] ?? [];
      const taskFunctions = Object.values(
        variables as Record<string, { 'Fn::GetAtt': [string, string] }>,
      ).map((v) => v['Fn::GetAtt'][0]);

      const resources = JSON.stringify(invoke.map((s) => s.Resource));

      expect(taskFunctions.length).toBeGreaterThan(0);
      for (const id of taskFunctions) expect(resources).toContain(`"${id}"`);
      expect(resources).toContain('function:fledge-hook-*');
      expect(resources).not.toMatch(/function:\*"/);
      expect(actions('StateMachineRole')).toEqual([
        'events:PutEvents',
        'lambda:InvokeFunction',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    });

    it('recovers on every ended execution of this stage, and sweeps every five minutes', () => {
      const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
      const toRecover = rules.filter((r) =>
        JSON.stringify(r.Properties.Targets).includes('RecoverLambdaFunction'),
      );

      expect(toRecover.map((r) => r.Properties.EventPattern ?? r.Properties.ScheduleExpression)).toEqual(
        expect.arrayContaining([
          {
            source: ['aws.states'],
            'detail-type': ['Step Functions Execution Status Change'],
            detail: {
              stateMachineArn: [{ Ref: 'FledgeDashcanaryDashci' }],
              status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
            },
          },
          'rate(5 minutes)',
        ]),
      );
    });

    it('starts runs from published versions, and from deploy events of the configured sources only', () => {
      const machineId = Object.entries(template.Resources).find(
        ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
      )?.[0];
      const rules = Object.values(template.Resources).filter(
        (r) =>
          r.Type === 'AWS::Events::Rule' &&
          JSON.stringify(r.Properties.Targets).includes(`{"Ref":"${machineId}"}`),
      );

      const patterns = rules.map((r) => r.Properties.EventPattern as Record<string, unknown>);

      expect(patterns).toHaveLength(2);
      expect(patterns).toContainEqual({
        source: ['aws.lambda'],
        'detail-type': ['AWS API Call via CloudTrail'],
        // Only calls that published a version and succeeded (deployed.test.ts puts events through it).
        // Not CreateFunction20150331: a new function has no alias, so Plan would skip every one.
        detail: {
          eventSource: ['lambda.amazonaws.com'],
          errorCode: [{ exists: false }],
          $or: [
            { eventName: ['PublishVersion20150331'] },
            { eventName: ['UpdateFunctionCode20150331v2'], requestParameters: { publish: [true] } },
          ],
        },
      });
      expect(patterns).toContainEqual({
        source: { 'Fn::Split': [',', sources.join(',')] },
        'detail-type': ['Canary Release Requested'],
      });
    });
  });
});

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, unknown>;
}

interface CfnLintFinding {
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
}

/** Runs cfn-lint; a missing cfn-lint fails the test (`npm test`'s pretest installs it). */
async function cfnLint(file: string): Promise<CfnLintFinding[]> {
  const result = await exec('cfn-lint', ['--format', 'json', file]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number | string; stdout?: string; message: string }) => {
      if (typeof e.code !== 'number') throw new Error(`cfn-lint did not run: ${e.message}`);
      return { code: e.code, stdout: e.stdout ?? '' };
    },
  );
  // The exit code is a bit mask (2 errors, 4 warnings, 8 informational); 1 is cfn-lint's own failure.
  if (result.code & 1) throw new Error(`cfn-lint failed: ${result.stdout}`);
  return JSON.parse(result.stdout || '[]') as CfnLintFinding[];
}

/** The cfn-lint rule ids that docs/DEVELOPING.md explains, from its "cfn-lint" table. */
function explainedCfnLintRules(): Set<string> {
  const text = readFileSync(new URL('../../docs/DEVELOPING.md', import.meta.url), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('cfn-lint')) ?? '';
  return new Set([...section.matchAll(/^\| `([EWI]\d{4})` \|/gm)].map((m) => m[1] ?? ''));
}
