/** Creates the AWS resources of the demo and the integration tests: a role, a function, versions, an alias. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';

export interface FunctionFixture {
  functionName: string;
  alias: string;
  versions: string[];
}

function code(label: string): Uint8Array {
  const source = `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(label)} });\n`;
  return zipSync({ 'index.mjs': new TextEncoder().encode(source) });
}

/** A function with `versionCount` published versions and an alias on version 1. */
export async function createFunctionWithAlias(
  functionName: string,
  alias: string,
  versionCount: number,
): Promise<FunctionFixture> {
  const iam = new IAMClient({});
  const lambda = new LambdaClient({});
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `${functionName}-role`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: 'nodejs22.x',
      Role: role.Role?.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: code('v1') },
      Publish: true,
    }),
  );
  const versions = ['1'];
  for (let v = 2; v <= versionCount; v++) {
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: code(`v${v}`) }));
    const published = await lambda.send(new PublishVersionCommand({ FunctionName: functionName }));
    versions.push(published.Version ?? String(v));
  }
  await lambda.send(
    new CreateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: '1' }),
  );
  lambda.destroy();
  iam.destroy();
  return { functionName, alias, versions };
}

/** The rollout table as serverless.yml creates it: partition key `pk`, TTL on `expiresAt`. */
export async function createRolloutTable(name: string): Promise<string> {
  const dynamo = new DynamoDBClient({});
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  dynamo.destroy();
  return name;
}
