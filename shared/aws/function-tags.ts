import { ListTagsCommand } from '@aws-sdk/client-lambda';
import { awsCall } from '../core/errors';
import { lambdaClient } from './clients';

/** A function's tags (ListTags needs the function's ARN, without a version qualifier). */
export async function readFunctionTags(functionArn: string): Promise<Record<string, string>> {
  const result = await awsCall('lambda:ListTags', () =>
    lambdaClient().send(new ListTagsCommand({ Resource: functionArn })),
  );
  return result.Tags ?? {};
}
