/** How a person names a rollout target in a message, a metric dimension or a report title. Pure. */
import { bareZoneId } from './dns-name';
import type { Target } from './schema';

/** `checkout:live` for a Lambda alias; `media.example.com A (Z123)` for a Route 53 weighted pair. */
export function targetLabel(target: Target): string {
  switch (target.type) {
    case 'lambda-alias':
      return `${target.functionName}:${target.alias}`;
    case 'route53-weighted':
      return `${target.recordName.replace(/\.$/, '')} ${target.recordType} (${bareZoneId(target.hostedZoneId)})`;
  }
}

/** How a person names one side of a target: a Lambda version, or a weighted record's SetIdentifier. */
export function sideLabel(target: Target, id: string): string {
  return target.type === 'lambda-alias' ? `version ${id}` : `record '${id}'`;
}
