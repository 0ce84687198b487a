/** The input of a Lambda alias target: the alias whose weights move and the version it releases. */
import * as z from 'zod/mini';
import { described } from '../../core/described';

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
});

export type LambdaAliasTarget = z.infer<typeof LambdaAliasTargetSchema>;
