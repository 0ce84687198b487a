/** The input of an API Gateway REST stage canary target: the stage whose canary carries the release. */
import * as z from 'zod/mini';
import { described } from '../../core/described';

export const ApiGatewayCanaryTargetSchema = z.strictObject({
  type: z.literal('apigateway-canary'),
  restApiId: described(
    z.string().check(z.regex(/^[A-Za-z0-9]{1,32}$/, 'must be a REST API id such as "a1b2c3d4e5"')),
    'The REST API (its id, not its name).',
  ),
  stageName: described(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a stage name such as "prod" (letters, digits, - and _)'),
      ),
    'The stage whose traffic moves; its deploymentId is the baseline. HTTP APIs have no canary.',
  ),
  deploymentId: described(
    z.string().check(z.regex(/^[A-Za-z0-9]{1,32}$/, 'must be a deployment id such as "abc123"')),
    'The deployment of the API to release through the stage canary.',
  ),
});

export type ApiGatewayCanaryTarget = z.infer<typeof ApiGatewayCanaryTargetSchema>;
