/**
 * What `serverless deploy` does, against moto: package the service, create the stack from the create
 * template (the deployment bucket), upload the function zips to the keys the update template names,
 * update the stack with it, and read back what was deployed: every function's configuration and code
 * (its zip checked against the CodeSha256 Lambda reports), the state machine's definition and role,
 * the rules, and the roles' trust policies. Nothing here knows fledge's function names: they come from
 * the template, so a new function is deployed and exercised too.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { unzipSync } from 'fflate';
import type { Definition } from '../../../cli/shared/definition';
import type { Credentials, DeployedFunction } from '../../../local/lambda-runtime';

const exec = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;

export interface AwsAccess {
  endpoint: string;
  region: string;
  credentials: Credentials | { accessKeyId: string; secretAccessKey: string };
}

export interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

export interface DeployedStack {
  stackName: string;
  /** The update template `serverless package` wrote, as deployed. */
  template: Template;
  outputs: Record<string, string>;
  resources: StackResourceSummary[];
  /** By the function's logical id in the template. */
  functions: Record<string, DeployedFunction & { codeSha256: string }>;
  stateMachine: {
    arn: string;
    roleArn: string;
    definition: Definition;
    loggingConfiguration: unknown;
    tracingConfiguration: unknown;
  };
  /** By the rule's logical id: its pattern and targets, as EventBridge holds them. */
  rules: Record<
    string,
    { name: string; eventPattern: unknown; targets: Array<{ Arn?: string; RoleArn?: string }> }
  >;
  /** Each role's trust policy, by role ARN. */
  trustPolicies: Record<string, { Statement: Array<{ Principal?: unknown; Action?: unknown }> }>;
}

const clientConfig = (access: AwsAccess) => ({
  endpoint: access.endpoint,
  region: access.region,
  credentials: access.credentials,
});

/**
 * `serverless package` into `dir`, as a user runs it before deploying, from a service directory of its
 * own (links to the sources): serverless-esbuild builds into the service's .esbuild/, so two packages at
 * once in one checkout (the test files under test/deploy run side by side) overwrite each other's
 * bundles, or find them gone.
 */
export async function packageService(dir: string, stage: string, params: Record<string, string> = {}) {
  const service = mkdtempSync(join(tmpdir(), 'fledge-service-'));
  for (const linked of ['node_modules', 'functions', 'shared', 'statemachines', 'resources', 'plugins']) {
    symlinkSync(join(ROOT, linked), join(service, linked));
  }
  for (const file of ['serverless.yml', 'package.json', 'tsconfig.json']) {
    copyFileSync(join(ROOT, file), join(service, file));
  }
  const args = ['serverless', 'package', '--stage', stage, '--region', 'us-east-1', '--package', dir];
  for (const [key, value] of Object.entries(params)) args.push(`--param=${key}=${value}`);
  try {
    await exec('npx', args, { cwd: service, timeout: 170_000 });
  } finally {
    rmSync(service, { recursive: true, force: true });
  }
}

async function waitForStack(cf: CloudFormationClient, stackName: string, done: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const stack = (await cf.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    const status = stack?.StackStatus ?? 'MISSING';
    if (status === done) return;
    if (status.endsWith('_FAILED') || status.endsWith('ROLLBACK_COMPLETE') || status === 'MISSING') {
      const events = await cf.send(new DescribeStackEventsCommand({ StackName: stackName }));
      const reasons = (events.StackEvents ?? [])
        .filter((e) => e.ResourceStatusReason)
        .map((e) => `${e.LogicalResourceId}: ${e.ResourceStatus} ${e.ResourceStatusReason}`);
      throw new Error(`stack ${stackName} is ${status}:\n${reasons.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stack ${stackName} did not reach ${done}`);
}

/** Deploys the package in `dir` as stack `stackName` and reads back what was deployed. */
export async function deployPackage(
  dir: string,
  stackName: string,
  access: AwsAccess,
): Promise<DeployedStack> {
  const config = clientConfig(access);
  const cf = new CloudFormationClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const template = JSON.parse(
    readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;

  await cf.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: readFileSync(join(dir, 'cloudformation-template-create-stack.json'), 'utf8'),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  await waitForStack(cf, stackName, 'CREATE_COMPLETE');
  const bucket = await physicalId(cf, stackName, 'ServerlessDeploymentBucket');

  // serverless uploads each artifact to the key the update template names, then updates the stack.
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = (resource.Properties.Code as { S3Key?: string }).S3Key;
    if (!key) throw new Error(`${id} has no S3Key`);
    const body = readFileSync(join(dir, basename(key)));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  await cf.send(
    new UpdateStackCommand({
      StackName: stackName,
      // serverless passes a TemplateURL (the template is over TemplateBody's 51,200 bytes); moto takes the body.
      TemplateBody: JSON.stringify(template),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  await waitForStack(cf, stackName, 'UPDATE_COMPLETE');

  const stack = (await cf.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const resources =
    (await cf.send(new ListStackResourcesCommand({ StackName: stackName }))).StackResourceSummaries ?? [];
  const deployed: DeployedStack = {
    stackName,
    template,
    outputs: outputs as Record<string, string>,
    resources,
    functions: {},
    stateMachine: await readStateMachine(resources, config),
    rules: await readRules(resources, config),
    trustPolicies: {},
  };

  const lambda = new LambdaClient(config);
  for (const r of resources.filter((r) => r.ResourceType === 'AWS::Lambda::Function')) {
    deployed.functions[r.LogicalResourceId ?? ''] = await readFunction(
      lambda,
      s3,
      bucket,
      r.PhysicalResourceId ?? '',
      join(dir, 'deployed', r.LogicalResourceId ?? ''),
    );
  }
  const iam = new IAMClient(config);
  const roleArns = [
    deployed.stateMachine.roleArn,
    ...Object.values(deployed.functions).map((f) => f.roleArn),
  ];
  for (const arn of roleArns) {
    const role = await iam.send(new GetRoleCommand({ RoleName: arn.split('/').at(-1) }));
    deployed.trustPolicies[arn] = JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '{}'));
  }
  for (const client of [cf, s3, lambda, iam]) client.destroy();
  return deployed;
}

async function physicalId(cf: CloudFormationClient, stackName: string, logicalId: string): Promise<string> {
  const resources = await cf.send(new ListStackResourcesCommand({ StackName: stackName }));
  const id = resources.StackResourceSummaries?.find(
    (r) => r.LogicalResourceId === logicalId,
  )?.PhysicalResourceId;
  if (!id) throw new Error(`stack ${stackName} has no ${logicalId}`);
  return id;
}

/** A function's configuration, and its code, unzipped after checking it is the code Lambda holds. */
async function readFunction(
  lambda: LambdaClient,
  s3: S3Client,
  bucket: string,
  name: string,
  codeDir: string,
): Promise<DeployedFunction & { codeSha256: string }> {
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  const c = fn.Configuration;
  const location = new URL(fn.Code?.Location ?? '');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: location.pathname.slice(1) }));
  const zip = await object.Body?.transformToByteArray();
  if (!zip || !c) throw new Error(`cannot read the code of ${name}`);
  const sha = createHash('sha256').update(zip).digest('base64');
  if (sha !== c.CodeSha256)
    throw new Error(`${name}: the zip's sha256 ${sha} is not Lambda's ${c.CodeSha256}`);
  for (const [file, bytes] of Object.entries(unzipSync(zip))) {
    if (file.endsWith('/')) continue;
    mkdirSync(dirname(join(codeDir, file)), { recursive: true });
    writeFileSync(join(codeDir, file), bytes);
  }
  return {
    name: c.FunctionName ?? name,
    arn: c.FunctionArn ?? '',
    runtime: c.Runtime ?? '',
    handler: c.Handler ?? '',
    timeoutSeconds: c.Timeout ?? 3,
    memorySize: c.MemorySize ?? 128,
    environment: c.Environment?.Variables ?? {},
    roleArn: c.Role ?? '',
    codeDir,
    codeSha256: c.CodeSha256 ?? '',
  };
}

async function readStateMachine(
  resources: StackResourceSummary[],
  config: ReturnType<typeof clientConfig>,
): Promise<DeployedStack['stateMachine']> {
  const arn = resources.find(
    (r) => r.ResourceType === 'AWS::StepFunctions::StateMachine',
  )?.PhysicalResourceId;
  const sfn = new SFNClient(config);
  const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  sfn.destroy();
  return {
    arn: machine.stateMachineArn ?? '',
    roleArn: machine.roleArn ?? '',
    definition: JSON.parse(machine.definition ?? '{}') as Definition,
    loggingConfiguration: machine.loggingConfiguration,
    tracingConfiguration: machine.tracingConfiguration,
  };
}

async function readRules(
  resources: StackResourceSummary[],
  config: ReturnType<typeof clientConfig>,
): Promise<DeployedStack['rules']> {
  const events = new EventBridgeClient(config);
  const rules: DeployedStack['rules'] = {};
  for (const r of resources.filter((r) => r.ResourceType === 'AWS::Events::Rule')) {
    const name = (r.PhysicalResourceId ?? '').split('/').at(-1);
    const rule = await events.send(new DescribeRuleCommand({ Name: name }));
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: name }));
    rules[r.LogicalResourceId ?? ''] = {
      name: rule.Name ?? '',
      eventPattern: JSON.parse(rule.EventPattern ?? 'null'),
      targets: targets.Targets ?? [],
    };
  }
  events.destroy();
  return rules;
}

/** Credentials of a role, as Lambda or Step Functions gets them when it assumes the role. */
export async function assumeRole(roleArn: string, access: AwsAccess): Promise<Credentials> {
  const sts = new STSClient(clientConfig(access));
  const result = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: roleArn.split('/').at(-1)?.slice(0, 64) }),
  );
  sts.destroy();
  const c = result.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
    throw new Error(`no credentials for ${roleArn}`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}
