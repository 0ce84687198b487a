/**
 * The parts of Elastic Load Balancing ARNs that fledge needs, spelled as CloudWatch spells its
 * dimensions: `LoadBalancer` is `app/name/id` and `TargetGroup` is `targetgroup/name/id`, the ARNs'
 * resource parts. Pure. Each parser returns the parts, or why the text is not such an ARN.
 */

export interface ListenerParts {
  /** `app` (Application) or `net` (Network). */
  kind: string;
  /** `app/name/id`: the LoadBalancer dimension. */
  loadBalancer: string;
  /** `app/name/id/listenerId`. */
  listenerPath: string;
}

const PREFIX = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:/;

export function parseListenerArn(arn: string): ListenerParts | string {
  const match = new RegExp(`${PREFIX.source}listener/((app|net|gwy)/[^/]+/[^/]+)/([^/]+)$`).exec(arn);
  if (!match) {
    return `'${arn}' is not a listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>)`;
  }
  const [, loadBalancer = '', kind = '', listenerId = ''] = match;
  return { kind, loadBalancer, listenerPath: `${loadBalancer}/${listenerId}` };
}

export function parseRuleArn(arn: string): { loadBalancer: string; listenerPath: string } | string {
  const match = new RegExp(`${PREFIX.source}listener-rule/((app|net|gwy)/[^/]+/[^/]+)/([^/]+)/[^/]+$`).exec(
    arn,
  );
  if (!match) {
    return `'${arn}' is not a listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<name>/<id>/<id>/<id>)`;
  }
  const [, loadBalancer = '', , listenerId = ''] = match;
  return { loadBalancer, listenerPath: `${loadBalancer}/${listenerId}` };
}

/** `targetgroup/name/id`: the TargetGroup dimension. */
export function parseTargetGroupArn(arn: string): { dimension: string; name: string } | string {
  const match = new RegExp(`${PREFIX.source}(targetgroup/([^/]+)/[^/]+)$`).exec(arn);
  if (!match) {
    return `'${arn}' is not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)`;
  }
  return { dimension: match[1] ?? '', name: match[2] ?? '' };
}

/** The parts of ARNs the schema has already checked. */
export function loadBalancerDimension(listenerArn: string): string {
  const parts = parseListenerArn(listenerArn);
  if (typeof parts === 'string') throw new RangeError(parts);
  return parts.loadBalancer;
}

export function targetGroupDimension(targetGroupArn: string): string {
  const parts = parseTargetGroupArn(targetGroupArn);
  if (typeof parts === 'string') throw new RangeError(parts);
  return parts.dimension;
}

/** A target group's name, for messages. */
export function targetGroupName(targetGroupArn: string): string {
  const parts = parseTargetGroupArn(targetGroupArn);
  return typeof parts === 'string' ? targetGroupArn : parts.name;
}
