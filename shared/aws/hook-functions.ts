import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { awsCall } from '../core/errors';
import { functionNameOf, matchesPattern } from '../core/function-names';
import { lambdaClient } from './clients';

/**
 * Why the state machine could not invoke a hook, or undefined when it can: the function must exist and,
 * in a deployed stack, be named by the `hookFunctions` pattern its role may invoke (Plan's environment
 * has it as FLEDGE_HOOK_FUNCTIONS). Checked at Plan, so a mistyped afterAllowTraffic hook is refused
 * before any traffic moves instead of rolling back a release that was already promoted.
 */
export async function hookProblem(ref: string): Promise<string | undefined> {
  const pattern = process.env.FLEDGE_HOOK_FUNCTIONS;
  const name = functionNameOf(ref);
  if (pattern && !matchesPattern(pattern, name)) {
    return `fledge may invoke only functions named ${pattern} (the hookFunctions deploy parameter), and ${name} is not one`;
  }
  try {
    await awsCall('lambda:GetFunctionConfiguration', () =>
      lambdaClient().send(new GetFunctionConfigurationCommand({ FunctionName: ref })),
    );
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return `there is no Lambda function ${ref}`;
    throw error;
  }
  return undefined;
}
