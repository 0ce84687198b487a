/** The input of a Lambda alias target: the alias whose weights move and the version it releases. */
import * as z from 'zod/mini';
import { described } from '../../core/described';

/** The most provisioned concurrency the input may ask for: Lambda's default concurrency per account. */
export const MAX_PROVISIONED_CONCURRENCY = 1000;

export const LambdaAliasTargetSchema = z.strictObject({
  type: z.literal('lambda-alias'),
  functionName: described(
    z.string().check(z.minLength(1), z.maxLength(140)),
    'Function name, or its ARN without a qualifier.',
  ),
  alias: described(
    z
      .string()
      .check(
        z.regex(
          /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/,
          'must be an alias name such as "live" (letters, digits, - and _)',
        ),
      ),
    'The alias whose traffic moves; its current FunctionVersion is the baseline.',
  ),
  version: described(
    z
      .string()
      .check(
        z.regex(
          /^\d+$/,
          'must be a published version number such as "7"; $LATEST cannot take weighted traffic',
        ),
      ),
    'The new published version to release.',
  ),
  provisionedConcurrency: described(
    z.optional(
      z.union([
        z.literal('auto'),
        z.literal('off'),
        z.number().check(z.int(), z.gte(1), z.lte(MAX_PROVISIONED_CONCURRENCY)),
      ]),
    ),
    'Provisioned concurrency fledge gives the new version while traffic is split, removed when the rollout ends. ' +
      '"auto" (the default): when the alias has provisioned concurrency, its share at the largest step, rounded up; ' +
      'none when it has none. "off": none. A number: that many, whatever the alias has.',
  ),
});

export type LambdaAliasTarget = z.infer<typeof LambdaAliasTargetSchema>;
