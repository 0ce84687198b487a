/** The input of a Route 53 target: a pair of weighted records of one name and type, stable and canary. */
import * as z from 'zod/mini';
import { described } from '../../core/described';

const AliasValueSchema = z.strictObject({
  dnsName: z.string().check(z.minLength(1), z.maxLength(1024)),
  hostedZoneId: z.string().check(z.minLength(1), z.maxLength(32)),
  evaluateTargetHealth: z._default(z.boolean(), false),
});

/** What each record type's values must be. */
const RECORD_VALUES = {
  A: { schema: z.ipv4(), what: 'an IPv4 address' },
  AAAA: { schema: z.ipv6(), what: 'an IPv6 address' },
  CNAME: {
    schema: z
      .string()
      .check(
        z.regex(
          /^(?=.{1,253}\.?$)([A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/,
        ),
      ),
    what: 'a domain name',
  },
} as const;

export const Route53WeightedTargetSchema = z
  .strictObject({
    type: z.literal('route53-weighted'),
    hostedZoneId: described(
      z
        .string()
        .check(
          z.regex(
            /^(\/hostedzone\/)?[A-Z0-9]{1,32}$/,
            'must be a hosted zone id such as "Z0123456789ABCDEFGHIJ"',
          ),
        ),
      'The hosted zone that holds both weighted records.',
    ),
    recordName: described(
      z.string().check(z.minLength(1), z.maxLength(255)),
      'The records\' name, e.g. "app.example.com".',
    ),
    recordType: described(
      z.enum(['A', 'AAAA', 'CNAME']),
      "The records' type; alias A/AAAA records work too.",
    ),
    stable: described(
      z.string().check(z.minLength(1), z.maxLength(128)),
      'SetIdentifier of the record pointing at the stable fleet.',
    ),
    canary: described(
      z.string().check(z.minLength(1), z.maxLength(128)),
      'SetIdentifier of the record pointing at the new fleet.',
    ),
    canaryValue: described(
      z.optional(
        z.union([
          z
            .array(z.string().check(z.minLength(1), z.maxLength(4000)))
            .check(z.minLength(1), z.maxLength(400)),
          AliasValueSchema,
        ]),
      ),
      'The new fleet: record values, or an alias target. Written at weight 0 before traffic moves. Refused when the canary record has a health check, which would go on checking the old endpoint.',
    ),
    finalize: described(
      z._default(z.boolean(), true),
      "After promotion, give the stable record the canary record's values and health check, and reset the canary to 0.",
    ),
    ttlMarginSeconds: described(
      z._default(z.number().check(z.int(), z.gte(0), z.lte(3600)), 30),
      'A bake step must last at least the record TTL plus this margin.',
    ),
    stretchShortSteps: described(
      z._default(z.boolean(), false),
      'Lengthen steps shorter than TTL + margin instead of refusing the plan.',
    ),
  })
  .check(
    z.refine((t) => t.stable !== t.canary, {
      message: 'stable and canary must be different SetIdentifiers',
      path: ['canary'],
    }),
    z.superRefine((t, ctx) => {
      // Route 53 refuses such values only when the batch is sent; say so before anything is written.
      if (!Array.isArray(t.canaryValue)) return;
      const valid = RECORD_VALUES[t.recordType];
      t.canaryValue.forEach((value, i) => {
        if (!valid.schema.safeParse(value).success) {
          ctx.addIssue({
            code: 'custom',
            message: `'${value}' is not ${valid.what} (record type ${t.recordType})`,
            path: ['canaryValue', i],
          });
        }
      });
    }),
  );

export type Route53WeightedTarget = z.infer<typeof Route53WeightedTargetSchema>;
