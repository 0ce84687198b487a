/**
 * The input of a load balancer target: a forward action (a listener's default actions, or one rule's)
 * whose weighted target groups are the stable fleet and the canary.
 */
import * as z from 'zod/mini';
import { described } from '../../core/described';
import { parseListenerArn, parseRuleArn, parseTargetGroupArn } from './arns';

const Arn = z.string().check(z.minLength(1), z.maxLength(2048));

export const ElbWeightedTargetSchema = z
  .strictObject({
    type: z.literal('elb-weighted'),
    listenerArn: described(Arn, "The listener's ARN (an Application Load Balancer's)."),
    ruleArn: described(
      z.optional(Arn),
      "The listener rule whose forward action holds both target groups; without it, the listener's default actions.",
    ),
    stable: described(Arn, "The stable fleet's target group ARN."),
    canary: described(Arn, "The new fleet's target group ARN."),
  })
  .check(
    z.superRefine((t, ctx) => {
      const listener = parseListenerArn(t.listenerArn);
      if (typeof listener === 'string') {
        ctx.addIssue({ code: 'custom', message: listener, path: ['listenerArn'] });
        return;
      }
      if (listener.kind === 'net') {
        // ForwardConfig takes a single target group on a Network Load Balancer, so there is no split to
        // move, and AWS/NetworkELB counts flows and TCP resets, not requests and HTTP errors.
        ctx.addIssue({
          code: 'custom',
          message:
            `'${t.listenerArn}' is a Network Load Balancer's listener: a Network Load Balancer forwards to a ` +
            'single target group (no weights to move), and AWS/NetworkELB has no request or HTTP error counts ' +
            'per target group to judge a canary on. Use an Application Load Balancer, or a route53-weighted ' +
            'target over two Network Load Balancers',
          path: ['listenerArn'],
        });
        return;
      }
      if (t.ruleArn !== undefined) {
        const rule = parseRuleArn(t.ruleArn);
        if (typeof rule === 'string') ctx.addIssue({ code: 'custom', message: rule, path: ['ruleArn'] });
        else if (rule.listenerPath !== listener.listenerPath) {
          ctx.addIssue({
            code: 'custom',
            message:
              `'${t.ruleArn}' is a rule of listener ${rule.listenerPath}${rule.loadBalancer === listener.loadBalancer ? '' : ` on another load balancer (${rule.loadBalancer})`}, ` +
              `not of target.listenerArn (${listener.listenerPath})`,
            path: ['ruleArn'],
          });
        }
      }
      for (const side of ['stable', 'canary'] as const) {
        const group = parseTargetGroupArn(t[side]);
        if (typeof group === 'string') ctx.addIssue({ code: 'custom', message: group, path: [side] });
      }
      if (t.stable === t.canary) {
        ctx.addIssue({
          code: 'custom',
          message: 'stable and canary must be different target groups',
          path: ['canary'],
        });
      }
    }),
  );

export type ElbWeightedTarget = z.infer<typeof ElbWeightedTargetSchema>;
